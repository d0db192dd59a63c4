"""The dashboard's message catalogue: every visible string, in Japanese and English.

The language is the ``fw_lang`` cookie (set by the switch in the page header), else the first of ``ja``/``en``
in the browser's Accept-Language, else Japanese (the people who use it every day are in Japan).
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Request

from fluorowatch.domain.equipment import EQUIPMENT_KIND_LABELS, EquipmentKind

LANGUAGES = ("ja", "en")
DEFAULT_LANGUAGE = "ja"
LANG_COOKIE = "fw_lang"

# key: (ja, en)
_CATALOGUE: dict[str, tuple[str, str]] = {
    "app": ("fluorowatch", "fluorowatch"),
    "nav.fleet": ("設備一覧", "Fleet"),
    "nav.alerts": ("アラート", "Alerts"),
    "nav.tickets": ("修理チケット", "Tickets"),
    "nav.inspections": ("点検予定", "Inspections"),
    "nav.leakage": ("算定漏えい量", "Leakage"),
    "nav.imports": ("取り込み", "Imports"),
    "nav.logout": ("ログアウト", "Sign out"),
    "lang.switch": ("English", "日本語"),
    "login.title": ("ログイン", "Sign in"),
    "login.email": ("メールアドレス", "E-mail"),
    "login.password": ("パスワード", "Password"),
    "login.submit": ("ログイン", "Sign in"),
    "login.failed": ("メールアドレスまたはパスワードが正しくありません", "The e-mail or password is not right"),
    "busy": ("処理中…", "Working…"),
    "none": ("ありません", "None"),
    "live.note": ("{n}秒ごとに自動更新", "Updates every {n} seconds"),
    "fleet.title": ("設備一覧", "Fleet"),
    "fleet.empty": ("表示できる設備はありません", "There are no units you may see"),
    "fleet.site": ("店舗", "Site"),
    "fleet.units": ("台", "units"),
    "legend.title": ("凡例", "Legend"),
    # a unit's and a site's colour (compliance.unit_status), with what it means
    "colour.red": ("要対応", "Act now"),
    "colour.amber": ("注意", "Attention"),
    "colour.green": ("正常", "Fine"),
    "colour.grey": ("対象外", "Not in service"),
    "colour.red.means": (
        "漏えいアラート、修理・確認の済んでいない漏えい、または点検期限切れ",
        "an open leak alert, a confirmed leak not yet repaired and verified, or an overdue inspection",
    ),
    "colour.amber.means": ("その他のアラート、または点検期限が近い", "another open alert, or an inspection due soon"),
    "colour.green.means": ("いずれもなし", "none of these"),
    "colour.grey.means": (
        "廃棄済みの設備(稼働中の設備のない店舗)",
        "a unit disposed of (a site without units in service)",
    ),
    # an inspection's state in the due list (compliance.schedule)
    "status.overdue": ("点検期限切れ", "Inspection overdue"),
    "status.due_soon": ("点検期限が近い", "Inspection due soon"),
    "status.not_due": ("期限前", "Not due"),
    "unit.management_no": ("管理番号", "Unit no."),
    "unit.kind": ("機器の種類", "Kind"),
    "unit.refrigerant": ("冷媒", "Refrigerant"),
    "unit.charge_kg": ("充塡量(kg)", "Charge (kg)"),
    "unit.status": ("状態", "Status"),
    "unit.charts": ("運転値と学習したベースライン", "Operating values against the learned baseline"),
    "unit.charts.note": (
        "線: 1時間ごとの平均値 / 帯: 学習したベースラインの予測値 ± 2σ(外気温・設定温度から)",
        "Line: hourly averages / band: the learned baseline's expected value ± 2σ (from ambient and setpoint)",
    ),
    "unit.charge_estimate": ("冷媒量の推定(適正量に対する残量 %)", "Charge estimate (% of the proper charge left)"),
    "unit.no_data": ("この期間のデータはありません", "No data in this period"),
    "unit.no_baseline": ("ベースラインはまだ学習されていません", "No baseline learned yet"),
    "unit.circuit": ("系統", "Circuit"),
    "unit.alerts": ("アラート", "Alerts"),
    "unit.tickets": ("修理チケット", "Tickets"),
    "unit.logbook": ("点検整備記録簿", "Logbook"),
    "unit.logbook_pdf": ("記録簿PDF", "Logbook PDF"),
    "unit.not_found": ("設備が見つからないか、閲覧できません", "No such unit, or not one you may see"),
    "chart.superheat_k": ("過熱度 SH (K)", "Superheat SH (K)"),
    "chart.subcooling_k": ("過冷却度 SC (K)", "Subcooling SC (K)"),
    "chart.suction_pressure_mpag": ("低圧 (MPaG)", "Suction pressure (MPaG)"),
    "chart.discharge_pressure_mpag": ("高圧 (MPaG)", "Discharge pressure (MPaG)"),
    "chart.cabinet_temp_c": ("庫内温度 (°C)", "Cabinet temperature (°C)"),
    "chart.charge_pct": ("推定残量 (%)", "Charge left (%)"),
    "alerts.title": ("アラート受信箱", "Alerts inbox"),
    "alerts.empty": ("アラートはありません", "No alerts"),
    "alerts.raised_at": ("発生", "Raised"),
    "alerts.category": ("種類", "Category"),
    "alerts.message": ("内容", "Message"),
    "alerts.status": ("状態", "Status"),
    "alerts.acknowledge": ("確認", "Acknowledge"),
    "alerts.confirm_leak": ("漏えい確定・修理依頼", "Confirm leak, open repair ticket"),
    "alerts.repair_ticket": ("修理チケット", "Repair ticket"),
    "alerts.resolve": ("解決", "Resolve"),
    "alerts.resolve_reason": ("対応内容(必須)", "What was done (required)"),
    "alerts.status.raised": ("未確認", "Raised"),
    "alerts.status.acknowledged": ("確認済み", "Acknowledged"),
    "alerts.status.resolved": ("解決済み", "Resolved"),
    "alerts.category.leak": ("漏えい", "Leak"),
    "alerts.done": ("完了しました", "Done"),
    "tickets.title": ("修理チケット", "Repair tickets"),
    "tickets.empty": ("チケットはありません", "No tickets"),
    "tickets.id": ("番号", "No."),
    "tickets.opened_at": ("起票", "Opened"),
    "tickets.status": ("状態", "Status"),
    "tickets.leak": ("漏えい確認日", "Leak confirmed on"),
    "tickets.deadline": ("修理期限", "Repair by"),
    "tickets.charges": ("充塡", "Charges"),
    "tickets.record_charge": ("充塡を記録", "Record a charge"),
    "tickets.kg": ("充塡量(kg)", "Amount (kg)"),
    "tickets.certificate_no": ("充塡証明書番号", "Certificate no."),
    "tickets.technician": ("技術者氏名", "Technician"),
    "tickets.qualification_no": ("資格番号", "Qualification no."),
    "tickets.emergency": ("緊急充塡の理由", "Emergency charge because of"),
    "tickets.emergency.none": ("緊急充塡ではない", "Not an emergency charge"),
    "tickets.emergency.health": ("人の健康(空調)", "Human health (air conditioning)"),
    "tickets.emergency.goods": ("商品の衛生管理", "Hygiene of the stored goods"),
    "tickets.emergency.business": ("事業の継続", "Keeping the business running"),
    "tickets.planned_repair_on": ("修理予定日", "Planned repair date"),
    "tickets.submit": ("充塡を記録", "Record the charge"),
    "tickets.recorded": ("充塡を記録しました", "The charge is recorded"),
    "tickets.rule.title": ("修理前の充塡のルール", "The rule on charging before the repair"),
    "tickets.rule.text": (
        "漏えいが確認され未修理の機器には、修理前に冷媒を充塡できません。例外の緊急充塡は、"
        "人の健康・商品の衛生管理・事業の継続のためやむを得ない場合に限り、漏えい確認日から60日以内"
        "({deadline}まで)の修理が確実なときに、1回だけ認められます(フロン排出抑制法 (d2))。",
        "A unit with a confirmed leak that is not repaired must not be charged before the repair. The exception, "
        "an emergency charge for human health, the hygiene of stored goods or keeping the business running, is "
        "allowed once only, and only when the repair is certain within 60 days of the leak's confirmation "
        "(by {deadline}) (Fluorocarbon Act, (d2)).",
    ),
    "tickets.rule.used": (
        "この漏えいの緊急充塡は使用済みです。修理まで充塡できません。",
        "The emergency charge for this leak has been made: no further charge before the repair.",
    ),
    "tickets.refused": ("充塡できません", "The charge is refused"),
    "inspections.title": ("点検予定", "Inspections due"),
    "inspections.kind": ("点検", "Inspection"),
    "inspections.kind.simple": ("簡易点検", "Simple inspection"),
    "inspections.kind.periodic": ("定期点検", "Periodic inspection"),
    "inspections.due_on": ("期限", "Due on"),
    "inspections.reference": ("前回", "Last"),
    "inspections.no_reference": ("記録なし", "no record"),
    "inspections.monitoring": ("常時監視で代替中", "replaced by continuous monitoring"),
    "inspections.download": ("ダウンロード", "Download"),
    "inspections.empty": ("点検予定はありません", "No inspections"),
    "leakage.title": ("算定漏えい量", "Calculated leakage"),
    "leakage.fiscal_year": ("{year}年度", "Fiscal year {year}"),
    "leakage.company_total": ("会社全体 (t-CO2)", "Company total (t-CO2)"),
    "leakage.site": ("事業所", "Site"),
    "leakage.t_co2": ("算定漏えい量 (t-CO2)", "Calculated leakage (t-CO2)"),
    "leakage.specified": ("特定漏えい者(1,000 t-CO2以上)", "Specified leaker (1,000 t-CO2 or more)"),
    "leakage.not_specified": ("1,000 t-CO2 未満", "Below 1,000 t-CO2"),
    "leakage.downloads": ("報告書", "Reports"),
    "leakage.form1": ("様式第1", "Form 1"),
    "leakage.kyoto": ("京都府HFC報告", "Kyoto HFC report"),
    "leakage.forbidden": (
        "算定漏えい量は会社全体の権限を持つ人だけが見られます",
        "Only people granted the whole company may see its calculated leakage",
    ),
    "imports.title": ("取り込み", "Imports"),
    "imports.what": ("種類", "What"),
    "imports.sites": ("事業所", "Sites"),
    "imports.equipment": ("設備", "Equipment"),
    "imports.certificates": ("充塡・回収証明書", "Certificates"),
    "imports.file": ("ファイル(CSV / XLSX)", "File (CSV / XLSX)"),
    "imports.submit": ("取り込む", "Import"),
    "imports.ok": ("取り込みました", "Imported"),
    "imports.failed": ("取り込めませんでした(何も取り込んでいません)", "Not imported (nothing was imported)"),
    "imports.line": ("行", "Line"),
    "imports.field": ("項目", "Field"),
    "imports.message": ("内容", "Message"),
    "error.title": ("エラー", "Error"),
}

_KIND_EN = {
    EquipmentKind.SHOWCASE_REMOTE: "Remote showcase", EquipmentKind.SHOWCASE_BUILTIN: "Self-contained showcase",
    EquipmentKind.REFRIGERATOR: "Commercial refrigerator/freezer", EquipmentKind.COLD_ROOM: "Cold room",
    EquipmentKind.CONDENSING_UNIT: "Condensing unit", EquipmentKind.PACKAGE_AC: "Packaged air conditioner",
    EquipmentKind.CHILLER: "Chiller", EquipmentKind.TURBO_CHILLER: "Turbo chiller",
}  # fmt: skip
_CATALOGUE.update({f"kind.{k.value}": (EQUIPMENT_KIND_LABELS[k], _KIND_EN[k]) for k in EquipmentKind})
_CATALOGUE.update(
    {
        "ticket.open": ("受付", "Open"),
        "ticket.dispatched": ("手配済み", "Dispatched"),
        "ticket.leak_located": ("漏えい箇所特定", "Leak located"),
        "ticket.repaired": ("修理済み", "Repaired"),
        "ticket.verified": ("修理確認済み", "Verified"),
        "ticket.closed": ("完了", "Closed"),
        "ticket.cancelled": ("取消", "Cancelled"),
    }
)


def language_of(request: Request) -> str:
    chosen = request.cookies.get(LANG_COOKIE)
    if chosen in LANGUAGES:
        return chosen
    for part in request.headers.get("accept-language", "").split(","):
        tag = part.split(";")[0].strip().lower()[:2]
        if tag in LANGUAGES:
            return tag
    return DEFAULT_LANGUAGE


def translator(language: str) -> Callable[..., str]:
    index = LANGUAGES.index(language) if language in LANGUAGES else 0

    def t(key: str, **values: object) -> str:
        pair = _CATALOGUE.get(key)
        text = pair[index] if pair is not None else key
        return text.format(**values) if values else text

    return t


def catalogue(language: str) -> dict[str, str]:
    """The whole catalogue in one language (the JS reads the few strings it shows from it)."""
    index = LANGUAGES.index(language) if language in LANGUAGES else 0
    return {key: pair[index] for key, pair in _CATALOGUE.items()}
