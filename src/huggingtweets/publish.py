"""Publishing a bot on the Hugging Face Hub, when the user asks, and taking it down again:

    url = push_model(Path("bots/gullhaven_dot/model"), "dot/gullhaven_dot")   # private; token from HF_TOKEN
    delete_model("dot/gullhaven_dot")
"""

from __future__ import annotations

from pathlib import Path

from . import hub
from .card import with_model_ref
from .errors import ConfigError


def push_model(model_dir: Path, repo_id: str, *, token: str | None = None, private: bool = True,
               endpoint: str | None = None) -> str:
    """Upload a model folder to ``repo_id`` on the Hub (created private unless told otherwise);
    returns the repo's URL. The card's "How to use" is pointed at the repo id on the way.
    The token: see `hub.api`."""
    from huggingface_hub import CommitOperationAdd

    folder = Path(model_dir)
    if not (folder / "config.json").is_file():
        raise ConfigError(f"{folder} is not a model folder (it has no config.json). "
                          "Pass a bot's model folder, such as bots/<handle>/model")
    api = hub.api(repo_id, token=token, address=endpoint)
    files = [p for p in sorted(folder.rglob("*")) if p.is_file() and p.name != "README.md"]
    operations = [CommitOperationAdd(p.relative_to(folder).as_posix(), str(p)) for p in files]
    readme = folder / "README.md"
    if readme.is_file():
        card = with_model_ref(readme.read_text(encoding="utf-8"), repo_id)
        operations.append(CommitOperationAdd("README.md", card.encode("utf-8")))
    with hub.hub_errors(repo_id, "push to"):
        url = api.create_repo(repo_id, private=private, exist_ok=True)
        api.create_commit(repo_id, operations=operations, commit_message="Upload a huggingtweets bot")
    return str(url)


def delete_model(repo_id: str, *, token: str | None = None, endpoint: str | None = None) -> None:
    """Delete ``repo_id`` from the Hub: the way to take a bot down again."""
    api = hub.api(repo_id, token=token, address=endpoint)
    with hub.hub_errors(repo_id, "delete"):
        api.delete_repo(repo_id)
