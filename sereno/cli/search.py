"""(placeholder: owned by a teammate, being written now)"""

import typer

app = typer.Typer(no_args_is_help=True)
