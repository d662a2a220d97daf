"""What a person may ask of the registers and be refused: voiding and the Buku Ekspedisi.

Each refusal has a stable code and the values its words are made of (errors.CodedError): the CLI
prints the English below, the staff console words the code in Bahasa Indonesia (area_registers).
"""

from __future__ import annotations

from ..errors import CodedError


class VoidNeedsReason(CodedError):
    code = "register.reason-required"
    message = "a reason is required to void a {what}."  # what: "number" or "document"


class NoSuchNumber(CodedError):
    code = "register.no-number"
    message = "register {register} has no number {number}."


class AlreadyVoid(CodedError):
    code = "register.already-void"
    message = "number {number} of register {register} is already void ({reason})."


class NumberBeingIssued(CodedError):
    code = "register.number-pending"
    message = "number {number} is being issued by a running process right now; void it when that ends."


class NothingToDeliver(CodedError):
    code = "dispatch.nothing-to-deliver"
    message = "application {ref} has no issued {titles} to deliver."


class AmbiguousDispatchRef(CodedError):
    code = "dispatch.ambiguous"
    message = "{ref} is ambiguous: it names more than one document; give the number of one."


class NotDeliverable(CodedError):
    code = "dispatch.not-deliverable"
    message = "document {ref} is {status}, it cannot be delivered."


class UnknownDispatchRef(CodedError):
    code = "dispatch.unknown"
    message = "no document or application has the number {ref}."


class DispatchNeedsNames(CodedError):
    code = "dispatch.needs-names"
    message = "a dispatch needs the addressee (--to) and who signed for it (--received-by)."
