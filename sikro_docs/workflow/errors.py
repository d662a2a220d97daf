"""Why a step of the SOP cannot be recorded: each a stable code and its values.

The CLI prints the English message (and adds the flag that fixes it, cli/workflow.py); the
console words the code in Bahasa Indonesia (console/i18n.py ERRORS). Nothing here names a CLI
flag: the library does not know which front end called it.

`expected` is the step or steps that may come next, as "N (activity)" joined by " / ".
"""

from __future__ import annotations

from ..errors import CodedError


class StepError(CodedError):
    """A step that may not be recorded now; nothing was recorded."""

    code = "step"


class ApplicationFinished(StepError):
    code = "step.finished"
    message = "{ref} is finished ({status}); no step follows step {current}."


class ApplicationReturned(StepError):
    code = "step.returned"
    message = ("{ref} was returned to the applicant as incomplete (missing: {missing}); "
               "the next step is {expected}, not {step}.")


class OtherPath(StepError):
    code = "step.other-path"
    message = "step {step} belongs to the {path} path but {ref} was {status}; the next step is {expected}."


class OutOfOrder(StepError):
    code = "step.out-of-order"
    message = "step {step} is out of order for {ref}: it stands at step {current}, the next step is {expected}."


class DecisionNeeded(StepError):
    code = "step.needs-decision"
    message = "step {step} ({activity}) needs a decision: approve or reject."


class NoDecisionTaken(StepError):
    code = "step.takes-no-decision"
    message = "step {step} ({activity}) takes no decision."


class UnknownDecision(StepError):
    code = "step.unknown-decision"
    message = "the decision must be approve or reject, not {decision!r}."


class ReasonNeeded(StepError):
    code = "step.needs-reason"
    message = "a rejection at step {step} needs its reason."


class EarlierThanLast(StepError):
    code = "step.too-early"
    message = ("step {step} at {at} would be earlier than step {last}, done at {last_at}; "
               "give the time it was really done.")


class NothingToDeliver(StepError):
    code = "step.nothing-to-deliver"
    message = "step {step} was not recorded: {ref} has no numbered {title} to deliver yet."


class DocumentFailed(StepError):
    code = "step.document-failed"
    message = "step {step} was not recorded: the {kind} could not be made: {detail}"


class UnknownApplication(StepError):
    code = "application.unknown"
    message = "no application with id {ref}"
