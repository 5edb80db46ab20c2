"""The model card: the README.md of the exported model, rendered from the template shipped
in the package with real values only:

    text = render_card(CardFacts(profiles=[...], stats=[...], ...))
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field, replace
from datetime import datetime
from importlib import resources
from string import Template
from typing import Any

from .clean import CleanStats, stats_table
from .post import Profile
from .recipe import MAX_VALIDATION_POSTS, VALIDATION_FRACTION

WIDGET_PROMPT = "My dream is"  # the original's widget prompt on every bot's hub page
_WEB_URL = re.compile(r"https?://[^\s\"'<>\\`]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
_MARKDOWN_ESCAPES = str.maketrans({"|": "\\|", "`": "\\`", "[": "\\[", "]": "\\]", "*": "\\*"})


@dataclass(frozen=True)
class CardFacts:
    profiles: list[Profile]
    stats: list[CleanStats]
    base_model: str  # as the user named it: "gpt2", a folder, or "scratch"
    metrics: dict[str, Any]
    samples: list[str]
    model_ref: str  # what `pipeline(model=...)` should be given: a hub id or a folder name
    first_post: datetime | None = None
    last_post: datetime | None = None
    seed: int = 42
    links: dict[str, str] = field(default_factory=dict)  # W&B "preprocess run"/"train run" → URL, online only
    base_on_hub: bool = False  # base_model is a hub id: the card links to it, and the hub links the model to it
    updates: list[dict[str, Any]] = field(default_factory=list)  # a continued bot's lineage, oldest version first


def _count(n: int) -> str:
    """A count as a sentence writes it: in words up to ten, in figures beyond."""
    words = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")
    return words[n] if 0 <= n < len(words) else f"{n:,}"


def render_card(facts: CardFacts) -> str:
    template = Template(resources.files("huggingtweets").joinpath("templates/model_card.md").read_text("utf-8"))
    several = len(facts.profiles) > 1
    handles = [_inline(p.handle) for p in facts.profiles]  # from input, as every name here: made inert
    who_short = join_names([f"@{h}" for h in handles])
    who_long = join_names([f"{_inline(p.display_name)} (@{_inline(p.handle)})" for p in facts.profiles])
    m = facts.metrics
    values = {
        "updates": _updates(facts.updates),
        "front_matter": _front_matter(facts.profiles, facts.base_model if facts.base_on_hub else None),
        "avatars": _avatars(facts.profiles),
        "bot_kind": "AI CYBORG" if several else "AI BOT",
        "display_names": _inline(" & ".join(p.display_name for p in facts.profiles)),
        "handle_names": " ".join(f"@{h} bot" if not several else f"@{h}" for h in handles),
        "who_short": who_short,
        "who_long": who_long,
        "sources": ", ".join(sorted({_source_name(p.source) for p in facts.profiles})),
        "base_name": _inline(_base_name(facts.base_model)),
        "base_desc": _base_desc(facts.base_model, facts.base_on_hub),
        "trained_on": (f"{'This update learned from' if facts.updates else 'The model was trained on'} "
                       f"{sum(s.kept for s in facts.stats):,} {'new ' if facts.updates else ''}posts by {who_long}, "
                       f"written between {_date_range(facts.first_post, facts.last_post)}"
                       + (", and a replay of the posts its earlier versions learned (see Updates)." if facts.updates
                          else ".")),
        "table": stats_table([replace(st, handle=_inline(st.handle)) for st in facts.stats], style="markdown"),
        "trained": "trained" if facts.base_model == "scratch" else "fine-tuned",
        "train_verb": "train" if facts.base_model == "scratch" else "fine-tune",
        "epochs_text": _epochs_text(m),
        "learning_rate": f"{m['learning_rate']:g}" + (
            f", {m['embedding_learning_rate']:.2g} for the token embeddings"
            if m.get("embedding_learning_rate", m["learning_rate"]) != m["learning_rate"] else ""),
        "schedule": (f"linear warmup over the first {m['warmup_ratio']:.0%} of the steps, then cosine decay"
                     if m.get("warmup_ratio") else "cosine schedule"),
        "steps": f"{m['steps']:,}",
        "batch_size": m["batch_size"],
        "block_size": m["block_size"],
        "tokens_seen": f"{m['tokens_seen']:,}",
        "device": m["device"].upper() if m["device"] != "cpu" else "a CPU",
        "dtypes": _dtypes(m),
        "saved_text": _saved_text(m, facts.base_model),
        "held_out_text": (f"each person's newest posts ({VALIDATION_FRACTION:.0%}, at most {MAX_VALIDATION_POSTS}), written "
                          "after every post in the training set" if m.get("validation_held_out") == "newest"
                          else f"{VALIDATION_FRACTION:.0%} of each person's posts (at most {MAX_VALIDATION_POSTS})"),
        "seed": facts.seed,
        "perplexity_before": _num(m["perplexity_before"]),
        "perplexity_after": _num(m["perplexity_after"]),
        "refit_text": _refit_text(m),
        "perplexity_when": (", measured at the best epoch, before the model learned them too"
                            if m.get("refit_steps") else ""),
        "copy_rate": f"{m['copy_rate']:.0%} of {m['samples_drawn']} drawn",
        "detector": (f"{m['style_detector_accuracy']:.0%} ({m['style_detector_posts']} posts of each; 50% = can't tell)"
                     if m.get("style_detector_accuracy") is not None else "not measured (too few held-out posts)"),
        "voice_text": _voice_text(m, who_short),
        "copy_rule": _copy_rule(),
        "sampled_count": _count(m.get("samples_written", len(facts.samples))).capitalize(),
        "sampled_with": " (with int8 weights, on a CPU)" if m.get("sampling_precision") == "int8" else "",
        "samples": "\n".join(f"{i}. {_quote(s)}" for i, s in enumerate(facts.samples[:5], 1)),
        "model_ref": facts.model_ref,
        "model_note": _model_note(facts.model_ref),
        "tracking": _tracking(facts.links),
    }
    return template.substitute(values)


def _copy_rule() -> str:
    from .generate import COPY_RUN_BYTES, COPY_RUN_TOKENS, COPY_WORD_SHARE

    return (f"A sample that shares a run of {COPY_RUN_TOKENS} or more tokens holding at least {COPY_RUN_BYTES} bytes of "
            f"text, or {COPY_WORD_SHARE:.0%} of its words, with a post the model learned counts as a repeat; repeats "
            "were replaced by fresh samples.")


def _voice_text(m: dict[str, Any], who: str) -> str:
    """Does it sound like them? The style detector's figure in plain words (voice.py)."""
    from .voice import FOLDS, StyleCheck

    if m.get("style_detector_accuracy") is None:
        return ""
    check = StyleCheck(m["style_detector_accuracy"], m["style_detector_posts"])
    return (f"{check.sentence(who)} The detector reads character n-grams (TF-IDF, logistic regression), is trained "
            f"on the rest and judges each post once ({FOLDS}-fold cross-validation); the bot's posts were sampled as "
            "above, with no prompt.\n")


def _epochs_text(m: dict[str, Any]) -> str:
    planned, best = m["epochs"], m.get("best_epoch")
    if m.get("stopped_early"):
        text = (f"{m['epochs_trained']:.3g} of at most {planned:.3g} epochs (it stopped once the held-out posts had "
                "stopped improving)")
    else:
        text = f"{planned:.3g} epoch{'' if planned == 1 else 's'}"
    if best is not None and best != planned:
        text += f", keeping epoch {best:.3g}, the best on validation"
    return text


def _refit_text(m: dict[str, Any]) -> str:
    """Training's last passes, over the validation posts (Recipe.refit_epochs)."""
    if not m.get("refit_steps"):
        return ""
    passes = m["refit_epochs"]
    return (f"Once they had chosen that length, the validation posts (each person's newest, the nearest to what "
            f"comes next) were learned too: {passes:.3g} pass{'' if passes == 1 else 'es'} over them at learning rate "
            f"{m['refit_learning_rate']:.2g}, {m['refit_steps']:,} steps. ")


def _updates(lineage: list[dict[str, Any]]) -> str:
    """The card's "Updates" section: each version of a bot trained further on newer posts."""
    if len(lineage) < 2:
        return ""
    rows = []
    for v in lineage:
        made = (v.get("made") or "")[:10] or "—"
        newest = (v.get("last_post") or "")[:10] or "—"
        if v.get("version", 1) == 1:
            learned, old = f"{v.get('train_posts') or 0:,} training posts ({_inline(str(v.get('base_model')))})", "—"
        else:
            learned = f"{v['new_posts']:,} new posts, {v['replayed_posts']:,} old ones replayed"
            old = (f"{v['old_validation_perplexity_before']:.1f} → {v['old_validation_perplexity_after']:.1f} "
                   f"({v['forgetting']:.2f}×)")
        score = v.get("perplexity")
        shown = f"{score:.1f}" if isinstance(score, (int, float)) else "—"  # a bot written before it was kept
        rows.append(f"| {v.get('version', 1)} | {made} | {learned} | {newest} | {shown} | {old} |")
    return ("\n## Updates\n\nThis bot was trained further as the person kept posting: each version learned the posts "
            "written since the one before, mixed with a replay of the posts it had learned, so as not to forget "
            "them. The last column is each update's perplexity on the posts its previous version was validated on, "
            "before and after the update (above 1.10× would mean it forgot).\n\n"
            "| Version | Made | Learned from | Newest post | Validation perplexity | Previous validation posts |\n"
            "| --- | --- | --- | --- | --- | --- |\n" + "\n".join(rows) + "\n")


def _dtypes(m: dict[str, Any]) -> str:
    autocast = {"bf16": "bfloat16 autocast", "fp16": "float16 autocast with loss scaling"}.get(m["precision"])
    weights = f"{m.get('trained_dtype', 'float32')} weights (every one trained, no adapters)"
    if m.get("frozen_dtype"):
        weights = f"{m['trained_dtype']} LoRA adapters on a frozen {m['frozen_dtype']} base (merged into it on export)"
    return f"{weights} and {autocast}" if autocast else weights


def _saved_text(m: dict[str, Any], base: str) -> str:
    base_dtype, export_dtype = m.get("base_dtype"), m.get("export_dtype", "float32")
    if base == "scratch" or not base_dtype:
        return f"The weights are saved in {export_dtype}."
    if base_dtype == export_dtype:
        return f"The base was saved in {base_dtype}, and so is this model."
    return f"The base was saved in {base_dtype}; this model is saved in {export_dtype}."


def _front_matter(profiles: list[Profile], base_model: str | None) -> str:
    """The card's YAML metadata, written by a YAML serialiser: no value from input can add a key."""
    import yaml

    data: dict[str, Any] = {"language": "en", "library_name": "transformers", "pipeline_tag": "text-generation"}
    if base_model:
        data["base_model"] = base_model  # the hub links the model to its base
    avatar = next((url for url in (_web_url(p.avatar_url) for p in profiles) if url), None)
    if avatar:
        data["thumbnail"] = avatar
    data.update(tags=["huggingtweets"], widget=[{"text": WIDGET_PROMPT}])
    data["huggingtweets"] = {"people": [f"@{p.handle}" for p in profiles]}  # read back by `card_people`
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=10_000).strip()


def card_people(card: str) -> list[str]:
    """The people a bot's card (its model folder's README.md) says it imitates, as "@handle",
    from its front matter; [] for a card without them (another tool's, or damaged)."""
    import yaml

    parts = card.split("---", 2)
    if not card.startswith("---") or len(parts) < 3:
        return []
    try:
        data = yaml.safe_load(parts[1])
    except yaml.YAMLError:
        return []
    section = data.get("huggingtweets") if isinstance(data, dict) else None
    people = section.get("people") if isinstance(section, dict) else None
    return [p for p in people if isinstance(p, str)] if isinstance(people, list) else []


def _web_url(url: str | None) -> str | None:
    """``url`` if it is a plain http(s) address (no spaces, quotes, brackets or control characters)."""
    return url if url and _WEB_URL.fullmatch(url) else None


def _inline(text: str) -> str:
    """A name from input as inert text in Markdown and HTML: markup escaped, line breaks and
    control characters made spaces, table pipes, code ticks and link brackets escaped."""
    text = _CONTROL.sub(" ", text)
    return html.escape(text, quote=False).translate(_MARKDOWN_ESCAPES)


def _avatars(profiles: list[Profile]) -> str:
    cells = [
        f'    <img src="{html.escape(_web_url(p.avatar_url) or "")}" alt="{html.escape(_CONTROL.sub(" ", p.display_name))}" '
        'style="width: 92px; height: 92px; border-radius: 50%; margin: 0 4px;">'
        for p in profiles
        if _web_url(p.avatar_url)
    ]
    return "\n".join(cells) if cells else "    <div style=\"font-size: 48px;\">🤖</div>"


def _tracking(links: dict[str, str]) -> str:
    if not links:  # offline or untracked: no section rather than broken links
        return ""
    runs = ", ".join(f"[{label}]({url})" for label, url in links.items())
    return ("\n## Weights & Biases\n\nThe data preparation and the training were tracked with W&B: "
            f"{runs}. The raw and cleaned posts, the base model and this model are artifacts of these "
            "runs, so their lineage can be followed there.\n")


def with_model_ref(card: str, model_ref: str) -> str:
    """The card with its "How to use" pointing at ``model_ref`` (a hub repo id, once pushed)."""
    match = re.search(r"model='([^']*)'", card)
    if match is None:
        return card
    old = match.group(1)
    return card.replace(match.group(0), f"model='{model_ref}'", 1).replace(_model_note(old), _model_note(model_ref))


def _model_note(model_ref: str) -> str:
    if "/" in model_ref:  # a hub repo id
        return f"The model is at [{model_ref}](https://huggingface.co/{model_ref}) on the Hugging Face Hub."
    return (f"`{model_ref}` is the folder inside `{model_ref}.zip`: unzip it and run this beside it, "
            "or use the repo id once the model is pushed to the Hugging Face Hub.")


def join_names(items: list[str]) -> str:
    """"a", "a and b", "a, b and c"."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _source_name(source: str) -> str:
    return {"sample": "the demo persona shipped with huggingtweets", "file": "a file export",
            "archive": "an X archive", "mastodon": "Mastodon", "bluesky": "Bluesky",
            "x": "X"}.get(source, source)


def _base_name(base: str) -> str:
    return "a small GPT-2 from scratch" if base == "scratch" else base


def _base_desc(base: str, on_hub: bool) -> str:
    if base == "scratch":
        return ("a small GPT-2-architecture model with random initial weights and a byte-level "
                "BPE tokenizer trained on the same posts (no pre-trained weights)")
    if not on_hub:
        return f"the model in `{base}`"
    return f"a pre-trained [{base}](https://huggingface.co/{base})"


def _date_range(first: datetime | None, last: datetime | None) -> str:
    if first is None or last is None:
        return "dates unknown"
    return f"{first:%B %-d, %Y} and {last:%B %-d, %Y}"


def _num(value: float) -> str:
    return f"{value:,.1f}" if value < 1e6 else "over a million"


def _quote(text: str) -> str:
    # Markdown-safe: the samples are model output and may hold anything.
    return "“" + text.replace("\n", " ").replace("|", "\\|").replace("<", "&lt;") + "”"
