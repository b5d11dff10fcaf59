"""The day it is: one `today()`, in the site's declared time zone (`TIME_ZONE`, UTC unless set).

Every "today" of the record (the day overdue is judged on, the latest day an assessment may
take effect, the day an HTTP validator or cached figure is good for) is this one, so that a
server's local time zone changes nothing.
"""

import datetime as dt
from zoneinfo import ZoneInfo

from app.config import get_settings


def zone() -> ZoneInfo:
    return ZoneInfo(get_settings().time_zone)


def today() -> dt.date:
    """Today's date in the site's time zone."""
    return dt.datetime.now(zone()).date()


def midnight() -> dt.datetime:
    """The start of today in the site's time zone (an aware timestamp)."""
    return dt.datetime.combine(today(), dt.time(), tzinfo=zone())
