"""(placeholder: owned by a teammate, being written now)"""


def run() -> None:
    """Process live cameras, or one file."""


def demo() -> None:
    """Run the demo."""
