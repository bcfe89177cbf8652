"""Domain errors: translated messages that views show and tests assert."""


class DomainError(Exception):
    """A rule of the office was broken; ``message`` is already translated.

    ``field`` names the form field the message belongs beside, if any.
    """

    def __init__(self, message, field: str | None = None):
        super().__init__(str(message))
        self.message = message
        self.field = field
