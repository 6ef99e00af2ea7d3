"""The portal's time zone: the seeds' dates and times are Tokyo's (X-04)."""

from typing import Final
from zoneinfo import ZoneInfo

TOKYO: Final = ZoneInfo("Asia/Tokyo")
