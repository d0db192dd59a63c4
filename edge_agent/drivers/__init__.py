"""Equipment drivers: each reads operating values from one kind of source behind the `Driver` protocol."""
