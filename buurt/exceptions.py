"""The one base for errors a person using the site should read. Imports nothing: any layer may use it.

``message`` is a complete sentence with a way forward, in the language of the page (services
translate it when they raise). Views show ``error.message``; they never show ``str()`` of any
other exception. Faults (bugs, outages) are not UserErrors: they reach the 500 handler, which
logs them with their traceback.
"""


class UserError(Exception):
    """A refusal or problem explained to the user; ``message`` is safe to show on a page."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message
