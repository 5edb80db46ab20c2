"""The one small exception tree callers catch.

Every message reads ``<what happened>. <what to do>`` so the CLI and the notebook
can show it as a single line. Where the fix is a flag, a command or an environment variable,
the notebook's own fix (a field to fill, a choice to make) comes with it:

    raise SourceError("no such file: tweets.csv. Check the path, or run `huggingtweets demo`")
    raise ModelError("the Hub can't be reached", fix="use --base-model scratch",
                     notebook_fix="choose `scratch` as the base model")
"""

from __future__ import annotations

from typing import Literal


class HuggingTweetsError(Exception):
    """A problem the user can fix; its message says how (``fix``, or the message's own end),
    ``notebook_fix`` says how in the notebook and ``library_fix`` in a Python call (its
    parameters, not the CLI's flags) where those differ. The exception's own text is the
    library's: what a caller of `make_bot` sees in a traceback."""

    def __init__(self, message: str, *, fix: str | None = None, notebook_fix: str | None = None,
                 library_fix: str | None = None, names: dict[str, str] | None = None) -> None:
        self.what = message.rstrip(".")
        self.fix = fix
        self.notebook_fix = notebook_fix
        self.library_fix = library_fix
        self.names = names or {}  # front door → what happened, in its words (config.option_error)
        said = library_fix or fix
        super().__init__(f"{self.what}. {said}" if said else message)


def error_line(error: HuggingTweetsError, door: Literal["cli", "notebook"] = "cli") -> str:
    """`Error: <what happened>. <what to do>.`: how a front door (``cli`` or ``notebook``) shows a mistake."""
    fix = error.notebook_fix if door == "notebook" and error.notebook_fix else error.fix
    what = error.names.get(door, error.what)
    if fix:
        return f"Error: {what}. {fix.rstrip('.')}."
    return f"Error: {what if door in error.names else str(error).rstrip('.')}."


def cause(error: BaseException) -> str:
    """A library's error in a few words for the middle of one of ours: its first line, else its type."""
    text = str(error).strip().splitlines()
    return text[0].rstrip(".") if text else type(error).__name__


def as_user_error(error: BaseException) -> HuggingTweetsError | None:
    """``error`` as the user's to fix, or None for a bug: ours as they are, and the file-system
    failures any write can meet (a full disk, a read-only one, a name too long) as one line."""
    import errno

    if isinstance(error, HuggingTweetsError):
        return error
    if not isinstance(error, OSError):
        return None
    where = f" writing {error.filename}" if error.filename else ""
    if error.errno in (errno.ENOSPC, errno.EDQUOT):
        return StorageError(f"the disk is full{where}. Free some space, or make the bot in a folder on another disk")
    if error.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return StorageError(f"no permission{where} ({error.strerror}). Make the bot in a folder you can write to")
    if error.errno == errno.EISDIR:
        target = error.filename2 or error.filename
        return StorageError(f"a folder sits where the file {target} goes. Move that folder away, then run again")
    if error.errno == errno.ENAMETOOLONG:
        return StorageError(f"a file name is too long{where}. Make the bot in a folder with a shorter path")
    return None


class ConfigError(HuggingTweetsError):
    """An option value that can't work (names the flag the user typed)."""


class SourceError(HuggingTweetsError):
    """Posts could not be read or fetched from a source."""


class DataError(HuggingTweetsError):
    """The posts are unusable for training (too few, too short)."""


class ModelError(HuggingTweetsError):
    """A base model or a trained model folder could not be loaded."""


class HubError(HuggingTweetsError):
    """The Hugging Face Hub refused a push or a delete, or could not be reached."""


class TrainingError(HuggingTweetsError):
    """Training went wrong in a way that would ship a broken bot (a non-finite loss, no samples)."""


class StorageError(HuggingTweetsError):
    """The disk refused a write: full, read-only, or a path too long."""
