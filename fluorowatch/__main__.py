import sys

from fluorowatch.cli import main

sys.exit(main())
