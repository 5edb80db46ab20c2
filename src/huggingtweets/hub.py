"""The Hugging Face Hub, as every other module sees it: what a hub id looks like, where the hub
is, whether it answers, how to keep huggingface_hub off the network, and its errors as one line.

    if is_hub_id("gpt2") and not reachable():
        with offline():                       # read only the local cache
            ...
    with hub_errors("dot/gullhaven_dot", "push to"):
        api.create_repo(...)

A leaf: it imports nothing from this package but its errors.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import ConfigError, HubError

if TYPE_CHECKING:  # typing only: huggingface_hub loads when a bot is pushed
    from huggingface_hub import HfApi

MODEL_ID = re.compile(r"\w[\w.-]*(/\w[\w.-]*)?")  # "gpt2", "user/model"; anything else is a path
REPO_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")  # where a bot is pushed: user-or-org/name


def is_hub_id(name: str) -> bool:
    """`gpt2`, `user/model`: a name the hub resolves, not a local folder or `scratch`."""
    return name != "scratch" and not Path(name).is_dir() and MODEL_ID.fullmatch(name) is not None


def endpoint() -> str:
    """The hub's address: HF_ENDPOINT read now, not when huggingface_hub was imported (a hub
    mirror, or a test server), else huggingface.co."""
    from huggingface_hub import constants

    return os.environ.get("HF_ENDPOINT") or constants.ENDPOINT


def reachable() -> bool:
    """Whether the hub (or the mirror in HF_ENDPOINT) answers at all: False at once with no
    network, or with HF_HUB_OFFLINE set."""
    import httpx
    from huggingface_hub import constants

    if constants.HF_HUB_OFFLINE:
        return False
    try:
        httpx.head(endpoint(), timeout=constants.HF_HUB_ETAG_TIMEOUT)  # any answer, an error status too
    except httpx.HTTPError:  # no route, no name, refused, timed out
        return False
    return True


@contextmanager
def offline(switch: bool = True) -> Iterator[None]:
    """Within the block, with ``switch``, huggingface_hub reads only its cache, as under
    HF_HUB_OFFLINE=1: no request is sent (`local_files_only` alone still lets transformers ask
    for an adapter config)."""
    from huggingface_hub import constants

    saved = constants.HF_HUB_OFFLINE
    constants.HF_HUB_OFFLINE = saved or switch
    try:
        yield
    finally:
        constants.HF_HUB_OFFLINE = saved


def api(repo_id: str, *, token: str | None = None, address: str | None = None) -> HfApi:
    """An `HfApi` for writing to ``repo_id``. The token comes from ``token``, else ``HF_TOKEN``,
    else the one `hf auth login` saved; it is only ever sent to the hub."""
    from huggingface_hub import HfApi, get_token

    if not REPO_ID.match(repo_id):
        raise ConfigError(f"--repo-id must look like user/name, got {repo_id!r}")
    token = token or os.environ.get("HF_TOKEN") or get_token()
    if not token:
        raise ConfigError("no Hugging Face token. Create a write token at https://huggingface.co/settings/tokens "
                          "and set HF_TOKEN to it (in the notebook: paste it in the token field)")
    return HfApi(endpoint=address or endpoint(), token=token)


@contextmanager
def hub_errors(repo_id: str, verb: str) -> Iterator[None]:
    """The hub's errors as one `HubError` line that says what to do."""
    from huggingface_hub.errors import HfHubHTTPError, OfflineModeIsEnabled

    try:
        yield
    except OfflineModeIsEnabled as error:
        raise HubError("HF_HUB_OFFLINE is set, so nothing can reach the Hub. Unset it and try again") from error
    except HfHubHTTPError as error:
        status = error.response.status_code if error.response is not None else None
        fix = {401: "The token was refused: check HF_TOKEN",
               403: "The token can read but not write: create one with write access",
               404: f"{repo_id} was not found: check --repo-id"}.get(status, "Try again later")
        raise HubError(f"could not {verb} {repo_id} (HTTP {status}). {fix}") from error
    except Exception as error:
        # connection errors: huggingface_hub 1.x speaks httpx, 2.x its fork httpx2
        if isinstance(error, OSError) or type(error).__module__.split(".")[0] in ("httpx", "httpx2"):
            raise HubError(f"could not reach the Hugging Face Hub ({error}). "
                           "Check the connection and try again") from error
        raise
