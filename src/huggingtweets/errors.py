"""The one small exception tree callers catch.

Every message reads ``<what happened>. <what to do>`` so the CLI and the notebook
can show it as a single line:

    raise SourceError("no such file: tweets.csv. Check the path, or run `huggingtweets demo`")
"""

from __future__ import annotations


class HuggingTweetsError(Exception):
    """A problem the user can fix; its message says how."""


def error_line(error: HuggingTweetsError) -> str:
    """`Error: <what happened>. <what to do>.`: how both front doors show a mistake."""
    return f"Error: {str(error).rstrip('.')}."


def cause(error: BaseException) -> str:
    """A library's error in a few words for the middle of one of ours: its first line, else its type."""
    text = str(error).strip().splitlines()
    return text[0].rstrip(".") if text else type(error).__name__


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
