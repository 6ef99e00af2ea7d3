"""The export's refusals as problems, in one place (X-15: one problem per reason)."""

from collections.abc import Iterator
from contextlib import contextmanager

from servicekit.problems import Problem, ProblemCode
from services.audit.domain.export_job import ExportGone, ExportNotReady, ExportUnknown
from services.audit.domain.export_request import NoData
from services.audit.domain.period import PeriodRefused


@contextmanager
def refusals() -> Iterator[None]:
    """The export's refusals as problems."""
    try:
        yield
    except PeriodRefused as err:
        raise Problem(ProblemCode.VALIDATION_ERROR, detail=str(err)) from None
    except NoData as err:
        raise Problem(ProblemCode.NO_DATA, notes=list(err.notes)) from None
    except ExportUnknown:
        raise Problem(ProblemCode.NOT_FOUND) from None
    except ExportNotReady as err:
        raise Problem(ProblemCode.EXPORT_NOT_READY, state=str(err)) from None
    except ExportGone:
        raise Problem(ProblemCode.EXPORT_GONE) from None
