"""The notebook app: four widget forms over the library, one per step of making a bot.

All state lives in an `AppState`; `App` builds the widgets over it, so a notebook holds one
object and every cell can be re-run. Buttons call the library and draw its events:

    app = App(AppState.for_this_machine())
    display(app.posts)     # 1. handles, source, upload → "Get posts"
    display(app.train)     # 2. base model, epochs, W&B key → "Train"
    display(app.generate)  # 3. prompt → "Generate": 10 posts with copy flags and share links
    display(app.download)  # 4. "Download model zip", "Push to Hugging Face"
"""

from __future__ import annotations

import base64
import html
import os
import re
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import quote

from ._io import atomic_path, file_size
from .bot_folder import BotFolder, release_folders
from .clean import stats_table
from .config import SOURCE_KINDS, BotConfig, SampleOptions, ScratchShape, label
from .errors import ConfigError, as_user_error, error_line
from .events import (
    Event,
    FetchProgress,
    Notice,
    StageFinished,
    StageStarted,
    TrainProgress,
)
from .pipeline import Bot, PreparedData, prepare_data, train_bot
from .plots import plot_predictions
from .post_format import AI_LABEL
from .sources.x import COOKIES_ENV, COOKIES_LABEL, UPLOAD_LABEL
from .tracking import tracking


@dataclass(frozen=True)
class BaseChoice:
    """A base model the notebook offers, with what a user weighs when picking one."""

    model: str  # hub id, or "scratch"
    params: str
    licence: str
    note: str
    lora: bool = False  # adapters instead of every weight: full fine-tuning would not fit a T4

    def describe(self) -> str:
        how = "LoRA adapters (every weight would not fit a T4's 16 GB)" if self.lora else "every weight trained"
        return f"{self.model}: {self.params} weights · {self.licence} · {how} · {self.note}"


# Training time grows with the weights: each token costs ~6 × weights FLOPs (forward and backward),
# so the notes give it relative to gpt2 (124M). Full fine-tuning keeps ~16 bytes a weight (float32
# weights, gradients, two Adam moments) plus activations: Qwen3-0.6B's 0.6B (0.75B counting its
# 151k-token embeddings) would need ~12 GB before activations, too close to a T4's 16 GB.
BASES = (
    BaseChoice("gpt2", "124M", "MIT", "the original's base"),
    BaseChoice("distilgpt2", "82M", "Apache-2.0", "~0.5× gpt2's time, a little weaker"),
    BaseChoice("gpt2-medium", "355M", "MIT", "~3× gpt2's time"),
    BaseChoice("HuggingFaceTB/SmolLM2-135M", "135M", "Apache-2.0",
               "~1× gpt2's time; trained on 2T tokens, it writes better English than gpt2"),
    BaseChoice("HuggingFaceTB/SmolLM2-360M", "360M", "Apache-2.0", "~3× gpt2's time"),
    BaseChoice("Qwen/Qwen3-0.6B-Base", "0.6B", "Apache-2.0", "~3× gpt2's time with LoRA; the strongest writer here",
               lora=True),
    BaseChoice("scratch", "~1M", "yours", "no GPU needed: learns words and topics in minutes, not fluent English"),
)
BASE_MODELS = tuple(b.model for b in BASES)
# 0: the recipe's count for the base (recipe.py); a menu shows a None value as an empty box
RECIPE_EPOCHS = 0.0
EPOCH_CHOICES = (("the recipe's", RECIPE_EPOCHS), ("1", 1.0), ("2", 2.0), ("4", 4.0), ("8", 8.0), ("20", 20.0))
N_SAMPLES = SampleOptions().num_samples  # posts per "Generate": the CLI's default, as the original wrote
SHARED_LABEL = f"🤖 {AI_LABEL}"  # on every shared post


@dataclass
class AppState:
    """What the user chose and what the steps made so far."""

    gpu: bool = False
    epochs: float | None = None  # what the Epochs menu starts on: None is the recipe's count
    scratch: ScratchShape | None = None  # the `scratch` model's shape; None: BotConfig's
    data: PreparedData | None = None
    bot: Bot | None = None
    config: BotConfig | None = None  # of the last "Get posts"
    samples: list[Any] = field(default_factory=list)  # the last "Generate"
    quiz: Any = None  # the "Bot or not?" game in play (quiz.BotOrNot)
    loaded: tuple[str, Any, Any, Any] | None = None  # (model dir, model, tokenizer, copy check) for generating
    uploads: Path = Path("uploads")  # where uploaded files are saved
    offered: list[Path] = field(default_factory=list)  # the files whose download links are shown

    @classmethod
    def for_this_machine(cls) -> AppState:
        return cls(gpu=gpu_available())

    @property
    def default_base(self) -> str:
        return "gpt2" if self.gpu else "scratch"


def base_choice(model: str) -> BaseChoice:
    return next(b for b in BASES if b.model == model)


def gpu_available() -> bool:
    import torch

    return torch.cuda.is_available()


def gpu_check() -> str:
    """One paragraph for the notebook's GPU cell: what this runtime has and what to do."""
    import torch

    if torch.cuda.is_available():
        return f"GPU: {torch.cuda.get_device_name(0)}. Fine-tuning gpt2 takes a few minutes."
    return ("No GPU. In Colab: Runtime → Change runtime type → T4 GPU → Save, then Runtime → Run all. "
            "You can also go on without one: the base model is then `scratch`, a small model trained "
            "from nothing in a minute or two, which learns words and topics but not fluent English.")


class App:
    """The widgets of the four steps, built over one `AppState`."""

    def __init__(self, state: AppState) -> None:
        try:
            import ipywidgets as w
        except ImportError as e:
            raise ConfigError("the notebook needs ipywidgets, which is not installed. Run "
                              "%pip install \"huggingtweets[notebook]\" in a cell, then restart the kernel") from e

        self.state = state
        fit = {"layout": w.Layout(width="max-content", min_width="160px")}  # labels never cut off
        # --- 1. posts ---
        self.handles = [w.Text(placeholder=p, description=f"Person {i + 1}", layout=w.Layout(width="420px"))
                        for i, p in enumerate(("@user@instance, name.bsky.social, a file path or sample",
                                               "optional: a second person", "optional: a third person"))]
        self.source = w.Dropdown(options=("auto", *SOURCE_KINDS), value="auto", description=label("source"))
        self.upload = w.FileUpload(accept=".zip,.js,.csv,.tsv,.json,.jsonl,.txt", multiple=True,
                                   description=UPLOAD_LABEL, **fit)
        self.wandb_key = _Secret(w, "W&B key", "optional: a W&B API key (else tracked offline)", env="WANDB_API_KEY")
        self.x_cookies = _Secret(w, COOKIES_LABEL, "only for @handles on X: auth_token=…; ct0=…", env=COOKIES_ENV)
        self.get_posts = w.Button(description="Get posts", icon="download", button_style="primary", **fit)
        self.posts_log = _Log(w)
        # --- 2. train ---
        self.base_model = w.Dropdown(options=BASE_MODELS, value=state.default_base, description=label("base_model"),
                                     layout=w.Layout(width="420px"))
        self.base_note = w.HTML()  # the chosen base's size, licence and cost
        self.base_model.observe(lambda _: self._describe_base(), names="value")
        self._describe_base()
        self.epochs = w.Dropdown(options=EPOCH_CHOICES, value=state.epochs or RECIPE_EPOCHS, description=label("epochs"))
        self.train_button = w.Button(description="Train", icon="cogs", button_style="primary", disabled=True, **fit)
        self.continue_button = w.Button(description="Continue with newer posts", icon="plus", disabled=True,
                                        tooltip="read the same people again (or a newer upload) and train the bot "
                                                "on what they posted since", **fit)
        self.progress = w.IntProgress(value=0, min=0, max=1, description="Training", bar_style="info")
        self.live = w.HTML()  # loss and perplexity as they come
        self.train_log = _Log(w)
        # --- 3. generate ---
        self.prompt = w.Text(placeholder="optional: how every post starts, e.g. My dream is",
                             description=label("prompt"), layout=w.Layout(width="420px"))
        self.generate_button = w.Button(description="Generate", icon="pencil", button_style="primary",
                                        disabled=True, **fit)
        self.samples_table = w.HTML()
        self.quiz_button = w.Button(description="Bot or not?", icon="question", disabled=True,
                                    tooltip="ten rounds: a real post beside a bot post; pick the bot", **fit)
        self.quiz_round = w.HTML()  # the two posts of this round
        self.quiz_picks = [w.Button(description=f"{label} is the bot",  # shown while a quiz runs
                                    layout=w.Layout(width="max-content", min_width="160px", display="none"))
                           for label in "AB"]
        self.quiz_result = w.HTML()  # right or wrong, and the tally
        self.generate_log = _Log(w)
        # --- 4. download and push ---
        self.download_button = w.Button(description="Download model zip", icon="file-archive-o",
                                        button_style="primary", disabled=True, **fit)
        self.download_link = w.Output()  # Jupyter's FileLink, or Voila's link
        self.gguf_button = w.Button(description="Download GGUF (Ollama, llama.cpp)", icon="download",
                                    disabled=True, **fit)
        self.repo_id = w.Text(placeholder="you/name", description="Repo id", layout=w.Layout(width="420px"))
        self.hf_token = _Secret(w, "HF token", "a write token from huggingface.co/settings/tokens")
        self.private = w.Checkbox(value=True, description="Private")
        self.push_button = w.Button(description="Push to Hugging Face", icon="upload", disabled=True, **fit)
        self.download_log = _Log(w)

        self.get_posts.on_click(lambda _: self._step(self.get_posts, self.posts_log, self._get_posts))
        self.train_button.on_click(lambda _: self._step(self.train_button, self.train_log, self._train))
        self.continue_button.on_click(lambda _: self._step(self.continue_button, self.train_log, self._continue))
        self.generate_button.on_click(lambda _: self._step(self.generate_button, self.generate_log, self._generate))
        self.quiz_button.on_click(lambda _: self._step(self.quiz_button, self.generate_log, self._start_quiz))
        for picked, button in enumerate(self.quiz_picks):
            button.on_click(lambda _, picked=picked: self._pick(picked))
        self.download_button.on_click(lambda _: self._step(self.download_button, self.download_log, self._download))
        self.gguf_button.on_click(lambda _: self._step(self.gguf_button, self.download_log, self._download_gguf))
        self.push_button.on_click(lambda _: self._step(self.push_button, self.download_log, self._push))

        self.posts = w.VBox([*self.handles, self.source, self.upload, self.wandb_key.box, self.x_cookies.box,
                             self.get_posts, self.posts_log.box])
        self.train = w.VBox([w.HBox([self.base_model, self.epochs]), self.base_note,
                             w.HBox([self.train_button, self.continue_button]),
                             self.progress, self.live, self.train_log.box])
        self.generate = w.VBox([self.prompt, w.HBox([self.generate_button, self.quiz_button]), self.samples_table,
                                self.quiz_round, w.HBox(self.quiz_picks), self.quiz_result, self.generate_log.box])
        self.download = w.VBox([w.HBox([self.download_button, self.gguf_button]), self.download_link,
                                w.HTML("<b>Optional:</b> share the model on the Hugging Face Hub."),
                                self.repo_id, self.hf_token.box, self.private, self.push_button, self.download_log.box])
        self._enable()

    # --- the steps ---

    def _sources(self) -> list[str]:
        """The handles typed and the files uploaded (the keys typed are already in this process's
        environment: `_Secret`)."""
        sources = [h.value.strip() for h in self.handles if h.value.strip()]
        sources += [str(p) for p in self._save_uploads()]
        if not sources:
            raise ConfigError("no posts to read. Type a handle (or `sample` for the demo) or upload a file")
        return sources

    def _get_posts(self, log: _Log) -> None:
        sources = self._sources()
        kind = None if self.source.value == "auto" else self.source.value
        # a bot made elsewhere (the CLI, an earlier session) is kept: this one goes beside it;
        # the same people again in this session replace this session's own bot
        earlier = self.state.data if self.state.config and self.state.config.sources == tuple(sources) else None
        where = {"out_dir": earlier.out_dir, "if_bot_exists": "replace"} if earlier else {"if_bot_exists": "new"}
        config = BotConfig.of(tuple(sources), source=kind, base_model=self.base_model.value, **where)
        self.state.data = self.state.bot = None
        self.state.samples, self.state.loaded = [], None
        with tracking(config, _View(self, log)) as tracked:
            data = prepare_data(config, tracked.on_event)
        # the bot's folder held as an absolute path: the kernel's working folder may change
        self.state.config, self.state.data = config, replace(data, out_dir=data.out_dir.resolve())
        shown = "".join(f"<li>{html.escape(p['text'])}</li>" for p in data.splits.train[:5])
        log.html(f"{stats_table(data.stats, style='html')}<b>A few cleaned posts:</b><ul>{shown}</ul>")

    def _train(self, log: _Log) -> None:
        state = self.state
        if state.data is None or state.config is None:
            raise ConfigError("there are no posts yet. Press “Get posts” first")
        config = state.config.updated(base_model=self.base_model.value, out_dir=state.data.out_dir,
                                      **self._training_options())
        if BotFolder(state.data.out_dir).holds_bot():
            log.line(f"• Replacing the bot made earlier in this session in {state.data.out_dir}")
        self._train_and_show(config, log, state.data)

    def _continue(self, log: _Log) -> None:
        """Train the bot further on the posts written since its newest: the same handles read again,
        or a newer archive or file uploaded; a replay of its old posts keeps what it learned."""
        bot = self._bot()
        kind = None if self.source.value == "auto" else self.source.value
        config = BotConfig.of(tuple(self._sources()), source=kind, continue_from=str(bot.out_dir),
                              **self._training_options())
        u = self._train_and_show(config, log).metrics["update"]
        log.line(f"Version {u['version']}: learned {u['new_posts']:,} new posts with {u['replayed_posts']:,} old ones "
                 f"replayed; on the posts the last version was checked on, perplexity "
                 f"{u['old_validation_perplexity_before']:.1f} → {u['old_validation_perplexity_after']:.1f} "
                 f"({u['forgetting']:.2f}×). The card's “Updates” section lists every version.")

    def _training_options(self) -> dict[str, Any]:
        """The Train step's choices: epochs, LoRA for the chosen base, the scratch model's shape."""
        state = self.state
        return {"epochs": self.epochs.value or None, "lora": base_choice(self.base_model.value).lora,
                **({"scratch": state.scratch} if state.scratch else {})}

    def _train_and_show(self, config: BotConfig, log: _Log, data: PreparedData | None = None) -> Bot:
        """Train (reading the posts first when ``data`` is None), then show the W&B links, the loss
        curve and the samples."""
        state = self.state
        self.progress.value, self.progress.bar_style = 0, "info"
        prepared = data is None
        with tracking(config, _View(self, log)) as tracked:
            data = prepare_data(config, tracked.on_event) if data is None else data
            bot = state.bot = train_bot(config, data, tracked.on_event, links=tracked.links)
        if prepared:
            state.config, state.data = config, replace(data, out_dir=data.out_dir.resolve())
        state.samples, state.loaded = bot.samples, None
        self._end_quiz()  # a new bot: the old one's game is over
        self.progress.bar_style = "success"
        for name, url in tracked.links.items():  # online runs only
            log.html(f'W&B {html.escape(name)}: <a href="{html.escape(url)}" target="_blank">{html.escape(url)}</a><br>')
        log.html(png_html(bot.folder.loss_plot, "the loss curve"))
        self._show_samples(bot.samples, prompt=config.sample.prompt)
        return bot

    def _loaded(self) -> tuple[Any, Any, Any]:
        """The bot's model, tokenizer and copy check, loaded once per trained model."""
        from .generate import CopyDetector
        from .models import load_model

        state, bot = self.state, self._bot()
        folder = str(bot.model_dir)
        if state.loaded is None or state.loaded[0] != folder:
            model, tokenizer = load_model(folder)
            learned = bot.folder.learned_texts() or []  # every version's posts: data/ keeps them all
            state.loaded = (folder, model, tokenizer, CopyDetector(learned, tokenizer))
        return state.loaded[1:]

    def _generate(self, log: _Log) -> None:
        from .generate import sample_posts
        from .post_format import ends_at_line_break

        state = self.state
        model, tokenizer, copies = self._loaded()
        log.line(f"• Writing {N_SAMPLES} posts{' starting “' + self.prompt.value + '”' if self.prompt.value else ''}")
        run = sample_posts(model, tokenizer, prompt=self.prompt.value, n=N_SAMPLES, copies=copies,
                           keep_newlines=not ends_at_line_break(model.generation_config, tokenizer))
        state.samples = run.posts
        self._show_samples(run.posts, prompt=self.prompt.value)
        log.line(f"  {run.copy_rate:.0%} of the posts drawn were near-copies of training posts"
                 + (" and were replaced" if run.copies else ""))

    def _start_quiz(self, log: _Log) -> None:
        """Bot or not? The bot's posts (no prompt: a real post has none) beside the people's held-out
        newest posts, the ones that chose how long it trained (it learns them last, and a bot post that
        repeats one is replaced)."""
        from .generate import sample_posts
        from .post_format import ends_at_line_break
        from .quiz import ROUNDS, BotOrNot

        model, tokenizer, copies = self._loaded()
        real = self._data().splits.validation_texts
        log.line(f"• Writing {ROUNDS} posts for the quiz")
        run = sample_posts(model, tokenizer, n=ROUNDS, copies=copies,
                           keep_newlines=not ends_at_line_break(model.generation_config, tokenizer))
        self.state.quiz = BotOrNot.of(real=real, bot=run.texts)
        if not self.state.quiz.rounds:
            raise ConfigError("there are no held-out posts to play with. Get more posts, then train again")
        self.quiz_result.value = ""
        self._show_round()

    def _show_round(self) -> None:
        quiz = self.state.quiz
        if quiz.done:
            self.quiz_round.value = ""
            for button in self.quiz_picks:
                button.layout.display = "none"
            return
        a, b = quiz.current.posts
        self.quiz_round.value = (
            f"<b>Round {len(quiz.answers) + 1} of {len(quiz.rounds)}: one of these is the bot's, the other is "
            "one of the person's newest real posts. Which is the bot?</b>"
            + "".join(f"<div style='border:1px solid #ccc;border-radius:6px;padding:6px;margin:4px 0;max-width:640px'>"
                      f"<b>{label}</b> {html.escape(text)}</div>" for label, text in zip("AB", (a, b))))
        for button in self.quiz_picks:
            button.layout.display = None

    def _end_quiz(self) -> None:
        self.state.quiz = None
        self.quiz_round.value = self.quiz_result.value = ""
        for button in self.quiz_picks:
            button.layout.display = "none"

    def _pick(self, picked: int) -> None:
        quiz = self.state.quiz
        if quiz is None or quiz.done:
            return
        bot_label = "AB"[quiz.current.bot_at]
        right = quiz.answer(picked)
        verdict = f"Right: {bot_label} was the bot." if right else f"No: {bot_label} was the bot."
        self.quiz_result.value = f"{html.escape(verdict)} {html.escape(quiz.tally())}"
        self._show_round()

    def _download(self, log: _Log) -> None:
        bot = self._bot()
        if "google.colab" in sys.modules:
            from google.colab import files

            files.download(str(bot.zip_path))
            log.line(f"Downloading {bot.zip_path.name}: your browser asks where to save it.")
            return
        self._show_links(bot.zip_path)
        log.line("Click the link to save the zip.")

    def _download_gguf(self, log: _Log) -> None:
        """The bot as one GGUF file (8-bit weights) and the Ollama Modelfile that goes beside it."""
        from .gguf_export import export_gguf

        bot = self._bot()
        log.line("• Writing the model as GGUF (8-bit weights)")
        written = export_gguf(bot.model_dir)
        name = written.gguf.stem.lower()
        log.html(f"Run it on your computer with Ollama, both files in one folder: <code>ollama create {html.escape(name)} "
                 f"-f Modelfile</code>, then <code>ollama run {html.escape(name)} \"My dream is\"</code>.")
        if "google.colab" in sys.modules:
            from google.colab import files

            for path in (written.gguf, written.modelfile):
                files.download(str(path))
            log.line(f"Downloading {written.gguf.name} and Modelfile: your browser asks where to save them.")
            return
        self._show_links(written.gguf, written.modelfile)
        log.line("Click the links to save the files.")

    def _show_links(self, *paths: Path) -> None:
        """Links to every file offered so far for this bot, the new ones added: a GGUF's links
        don't take the zip's away."""
        offered = [p for p in self.state.offered if p.parent == paths[0].parent and p not in paths]
        self.state.offered = [*offered, *paths]
        self.download_link.outputs = ()
        for path in self.state.offered:
            if path.is_file():
                self.download_link.append_display_data(download_link(path))

    def _push(self, log: _Log) -> None:
        from .publish import push_model

        bot = self._bot()
        token = self.hf_token.secret  # kept in this object only
        url = push_model(bot.model_dir, self.repo_id.value.strip(), token=token, private=self.private.value)
        log.html(f'Pushed to <a href="{html.escape(url)}" target="_blank">{html.escape(url)}</a> '
                 f"({'private' if self.private.value else 'public'}).")

    def _show_samples(self, samples: list[Any], *, prompt: str) -> None:
        """The posts as a table with share links, and as the picture to share (predictions.png)."""
        bot = self._bot()
        picture = plot_predictions([s.text for s in samples], self._data().name, bot.folder.predictions_plot,
                                   prompt=prompt)
        self.samples_table.value = samples_html(samples) + png_html(picture, "the posts as a picture to share")

    # --- plumbing ---

    def _describe_base(self) -> None:
        self.base_note.value = f"<small>{html.escape(base_choice(self.base_model.value).describe())}</small>"

    def _data(self) -> PreparedData:
        if self.state.data is None:
            raise ConfigError("there are no posts yet. Press “Get posts” first")
        return self.state.data

    def _bot(self) -> Bot:
        if self.state.bot is None or self.state.data is None:
            raise ConfigError("there is no model yet. Press “Train” first")
        return self.state.bot

    def _save_uploads(self) -> list[Path]:
        saved = []
        for item in self.upload.value:
            target = self.state.uploads / Path(item["name"]).name
            target.parent.mkdir(parents=True, exist_ok=True)
            with atomic_path(target) as tmp:
                tmp.write_bytes(bytes(item["content"]))
            saved.append(target)
        return saved

    def _step(self, button: Any, log: _Log, action: Callable[[_Log], None]) -> None:
        """Run one step: the button is disabled meanwhile, then green, or red with one error line."""
        button.disabled, button.button_style = True, "warning"
        log.clear()
        try:
            action(log)
        except Exception as error:
            mistake = as_user_error(error)
            if mistake is None:  # a bug or a backend failure: still one line, details folded away
                log.error(f"Error: {type(error).__name__}: {error}. The details below say more; "
                          "press the button again or re-run the cell.", traceback.format_exc())
            else:
                log.error(error_line(mistake, "notebook"), traceback.format_exc())
            button.button_style = "danger"
        else:
            button.button_style = "success"
        finally:
            release_folders()  # between steps the bot's folder is free for other runs
            self._enable()

    def _enable(self) -> None:
        """Each button is live once the step before it has made what it needs."""
        self.get_posts.disabled = False
        self.train_button.disabled = self.state.data is None
        for button in (self.generate_button, self.quiz_button, self.continue_button, self.download_button,
                       self.gguf_button, self.push_button):
            button.disabled = self.state.bot is None


class _Secret:
    """A password field whose secret never stays in the widget, where saved widget state would hold
    it in plain text: once typed (Enter or leaving the field) it moves into this object, and into
    this process's environment variable ``env`` where one is named, and the field empties and says
    it is set. Forget removes it from both. Nothing here is ever written to a file."""

    def __init__(self, w: Any, description: str, placeholder: str, *, env: str | None = None) -> None:
        self.env, self.placeholder = env, placeholder
        self.secret: str | None = None
        # continuous_update=False: the value reaches the kernel when typed in full, not a keystroke at a time
        self.field = w.Password(placeholder=placeholder, description=description, continuous_update=False,
                                layout=w.Layout(width="420px"))
        self.forget = w.Button(description="Forget", icon="times", tooltip=f"forget the {description} typed",
                               layout=w.Layout(width="max-content", display="none"))
        self.field.observe(lambda change: self._take(change["new"]), names="value")
        self.forget.on_click(lambda _: self.clear())
        self.box = w.HBox([self.field, self.forget])

    def _take(self, typed: str) -> None:
        if not typed.strip():  # the field emptied (by us, just below)
            return
        self.secret = typed.strip()
        if self.env:
            os.environ[self.env] = self.secret
        self.field.value = ""
        self.field.placeholder = "set for this session: type again to replace it, or press Forget"
        self.forget.layout.display = None

    def clear(self) -> None:
        if self.env and self.secret is not None and os.environ.get(self.env) == self.secret:
            del os.environ[self.env]
        self.secret = None
        self.field.placeholder = self.placeholder
        self.forget.layout.display = "none"


class _Log:
    """A step's messages: lines, an error line, and the details folded in an accordion."""

    def __init__(self, w: Any) -> None:
        self.text = w.HTML()
        self.error_line = w.HTML()
        self.details = w.HTML()
        self.fold = w.Accordion(children=[self.details], selected_index=None)
        self.fold.set_title(0, "Details")
        self.fold.layout.display = "none"
        self.box = w.VBox([self.error_line, self.text, self.fold])
        self.lines: list[str] = []

    def line(self, text: str) -> None:
        """One line of plain text; `code` spans (a command to copy) shown as code, not backticks, and
        paths under the notebook's folder as it sees them (bots/..., not /content/bots/...)."""
        text = text.replace(str(Path.cwd()) + os.sep, "")
        shown = re.sub(r"`([^`]+)`", r"<code>\1</code>", html.escape(text))
        self.html(f"<pre style='margin:0'>{shown}</pre>")

    def html(self, fragment: str) -> None:
        self.lines.append(fragment)
        self.text.value = "".join(self.lines)

    def error(self, message: str, details: str) -> None:
        self.error_line.value = f"<b style='color:#b00020'>{html.escape(message)}</b>"
        self.details.value = f"<pre>{html.escape(details)}</pre>"
        self.fold.layout.display = None

    def clear(self) -> None:
        self.lines = []
        self.text.value = self.error_line.value = self.details.value = ""
        self.fold.layout.display = "none"


class _View:
    """Draws the pipeline's events in the widgets: log lines, the progress bar, live loss."""

    def __init__(self, app: App, log: _Log) -> None:
        self.app, self.log = app, log
        self.loss: float | None = None  # the last training loss, kept while evaluations report
        self.perplexity: float | None = None
        self.clock: tuple[float, int] | None = None  # (when, step) of the first step seen: the pace's start

    def __call__(self, event: Event) -> None:
        bar = self.app.progress
        if isinstance(event, TrainProgress):
            bar.max, bar.value = max(event.total_steps, 1), event.step
            if "perplexity" in event.metrics:
                self.perplexity = event.metrics["perplexity"]
            if "loss" in event.metrics:
                self.loss = event.metrics["loss"]
            parts = [f"step {event.step:,} of {event.total_steps:,}", self._pace(event),
                     f"epoch {event.epoch:.2f}"]
            if self.loss is not None:
                parts.append(f"loss {self.loss:.3f}")
            if self.perplexity is not None:
                parts.append(f"validation perplexity {self.perplexity:,.1f}")
            self.app.live.value = " · ".join(p for p in parts if p)
        elif isinstance(event, FetchProgress):
            self.log.text.value = "".join(self.log.lines) + f"<pre style='margin:0'>  {event.posts:,} posts</pre>"
        elif isinstance(event, StageStarted):
            self.log.line(f"• {event.message}")
        elif isinstance(event, StageFinished) and event.stage not in ("clean", "generate"):
            self.log.line(f"  {event.message}")  # the stats table and the samples get their own display
        elif isinstance(event, Notice):
            self.log.line(("Warning: " if event.level == "warning" else "  ") + event.message)


    def _pace(self, event: TrainProgress) -> str:
        """"1:05 elapsed, about 3:20 left", the CLI bar's figures (at most: validation may end it sooner)."""
        now = time.monotonic()
        if self.clock is None or event.step < self.clock[1]:  # a new run: the pace starts again
            self.clock = (now, event.step)
        started, first = self.clock
        done = event.step - first
        if done <= 0:
            return ""
        left = (now - started) / done * (event.total_steps - event.step)
        return f"{_clock(now - started)} elapsed, about {_clock(left)} left"


def _clock(seconds: float) -> str:
    """1:05, or 1:02:05 past an hour."""
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def png_html(path: Path, alt: str) -> str:
    """A PNG inline (Colab, Jupyter and Voila all show it without serving files)."""
    data = base64.b64encode(Path(path).read_bytes()).decode("ascii")
    return f'<img src="data:image/png;base64,{data}" alt="{html.escape(alt)}" style="max-width:640px;display:block">'


def samples_html(samples: list[Any]) -> str:
    """The posts as a table: text, copy flag, and links to share each one, labelled as AI-made."""
    rows = []
    for i, sample in enumerate(samples, 1):
        shared = quote(f"{sample.text}\n\n{SHARED_LABEL}")
        share = (f'<a href="https://x.com/intent/post?text={shared}" target="_blank">X</a> · '
                 f'<a href="https://bsky.app/intent/compose?text={shared}" target="_blank">Bluesky</a>')
        # every sample was checked against the posts the bot learned: "new" says it passed
        copy = "⚠ near-copy of a training post" if sample.copy else "new"
        rows.append(f"<tr><td>{i}</td><td style='text-align:left'>{html.escape(sample.text)}</td>"
                    f"<td>{copy}</td><td>{share}</td></tr>")
    return ("<table class='huggingtweets-samples'><tr><th>#</th><th>Post</th><th>Copy?</th><th>Share</th></tr>"
            + "".join(rows) + "</table>")


def download_link(path: Path) -> Any:
    """A link a browser downloads ``path`` from: IPython's FileLink in Jupyter, which resolves
    its relative link against the notebook's folder; in Voila, which has no such resolver,
    a link to Voila's voila/files/ (allowed for zips by voila.json)."""
    from IPython.display import HTML, FileLink

    rel = os.path.relpath(path.resolve(), Path.cwd()).replace(os.sep, "/")
    size = f" ({file_size(path)})"
    if not os.environ.get("SERVER_SOFTWARE", "").startswith("voila"):
        return FileLink(rel, result_html_prefix="⬇ ", result_html_suffix=size)
    url = f"{os.environ.get('VOILA_SERVER_URL', '/').rstrip('/')}/voila/files/{quote(rel)}"
    return HTML(f'<a href="{html.escape(url, quote=True)}" download="{html.escape(path.name, quote=True)}">'
                f"⬇ {html.escape(path.name)}</a>{size}")
