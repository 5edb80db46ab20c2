"""X/Twitter live, tried honestly: snscrape's `twitter-user` scraper, when installed.

X has walled off logged-out reading since 2023 (snscrape issue #996), so this mostly fails;
when it does, the error names the route that works, the account archive:

    posts, profile = fetch_x("@dot", max_posts=3200)
"""

from __future__ import annotations

from itertools import islice

from ..errors import SourceError
from ..post import Post, Profile

ARCHIVE_HOWTO = (
    "Download your archive from X (Settings → Your account → Download an archive of your data) "
    "and pass the zip: huggingtweets train twitter-archive.zip"
)


def fetch_x(spec: str, *, max_posts: int = 3200) -> tuple[list[Post], Profile]:
    handle = spec.lstrip("@")
    try:
        import snscrape.modules.twitter as sntwitter
    except Exception as e:  # not installed, or broken on this Python
        raise SourceError(f"X does not let tools read @{handle}'s posts without a login. {ARCHIVE_HOWTO}") from e
    try:
        tweets = list(islice(sntwitter.TwitterUserScraper(handle).get_items(), max_posts))
    except Exception as e:  # X answers scrapers with 4xx walls; snscrape raises its own types
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise SourceError(f"X refused to show @{handle}'s posts ({first}). {ARCHIVE_HOWTO}") from e
    if not tweets:
        raise SourceError(f"X showed no posts of @{handle}. {ARCHIVE_HOWTO}")
    posts = [Post(id=str(t.id), handle=handle, text=t.rawContent, source="x", created_at=t.date,
                  is_repost=t.retweetedTweet is not None,
                  is_reply=t.inReplyToUser is not None and t.inReplyToUser.username.lower() != handle.lower(),
                  urls=tuple(link.url for link in (t.links or ())))
             for t in tweets]
    user = tweets[0].user
    return posts, Profile(handle=handle, display_name=user.displayname or handle, source="x",
                          avatar_url=user.profileImageUrl, description=user.rawDescription or "")
