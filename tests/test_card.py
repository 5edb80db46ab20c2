from __future__ import annotations

from dataclasses import replace

from helpers import CARD_METRICS as METRICS
from helpers import card_facts as _facts

from huggingtweets.card import CardFacts, render_card
from huggingtweets.post import Profile


def test_card_has_the_sections_and_real_values() -> None:
    card = render_card(_facts())
    for heading in ("## How does it work?", "## Training data", "## Training procedure", "## How to use",
                    "## Limitations and bias"):
        assert heading in card
    assert "$" not in card  # no template placeholder survived
    assert "pipeline('text-generation',\n                     model='huggingtweets/gullhaven_dot')" in card
    assert "| Validation perplexity before fine-tuning | 812.4 |" in card
    assert "| Validation perplexity after fine-tuning | 41.2 |" in card
    assert "| Samples that repeated a training post | 17% of 12 drawn |" in card
    assert "shares a run of 8 or more tokens holding at least 32 bytes of text, or 80% of its words" in card
    assert "January 9, 2024 and December 29, 2025" in card
    assert "[gpt2](https://huggingface.co/gpt2)" in card
    assert "AI-generated" in card
    assert "@gullhaven_dot bot" in card and "AI BOT" in card


def test_the_card_says_in_plain_words_how_often_a_detector_tells_the_bot_apart() -> None:
    card = render_card(_facts())
    assert "| Style detector: bot posts told from real ones | 71% (100 posts of each; 50% = can't tell) |" in card
    assert ("A simple style detector tells this bot's posts from @gullhaven_dot's newest real posts 71% of the time "
            "(50% would mean it can't tell them apart") in card
    unmeasured = replace(_facts(), metrics={**METRICS, "style_detector_accuracy": None, "style_detector_posts": 0})
    card = render_card(unmeasured)
    assert "| Style detector: bot posts told from real ones | not measured (too few held-out posts) |" in card
    assert "A simple style detector" not in card


def test_only_five_samples_and_they_cannot_break_markdown() -> None:
    card = render_card(_facts())
    assert "4. “Sample &lt;b>3&lt;/b> \\| piped”" in card
    assert "6. “Sample" not in card


def test_several_people_make_a_cyborg_with_a_column_each() -> None:
    card = render_card(_facts(3))
    assert "AI CYBORG" in card
    assert "| Data | @gullhaven_dot | @harbourmaster_len | @marjorie_knits |" in card
    assert "@gullhaven_dot, @harbourmaster_len and @marjorie_knits" in card


def test_front_matter_loads_as_a_hub_model_card(tmp_path) -> None:
    from huggingface_hub import ModelCard

    path = tmp_path / "README.md"
    path.write_text(render_card(_facts()), encoding="utf-8")
    card = ModelCard.load(path)
    assert card.data.language == "en"
    assert card.data.tags == ["huggingtweets"]
    assert card.data.widget == [{"text": "My dream is"}]
    assert card.data.thumbnail == "https://img.example/gullhaven_dot.png"


def test_scratch_card_says_there_were_no_pretrained_weights() -> None:
    card = render_card(_facts(base="scratch"))
    assert "random initial weights" in card and "huggingface.co/scratch" not in card
    assert "fine-tune" not in card and "trained on @gullhaven_dot's posts for 4 epochs" in card


def test_the_card_says_how_long_training_ran_and_why_it_stopped() -> None:
    stopped = {**METRICS, "epochs": 8.0, "epochs_trained": 5.5, "stopped_early": True, "best_epoch": 3.5,
               "learning_rate": 3e-4, "embedding_learning_rate": 1e-3}
    card = render_card(replace(_facts(), metrics=stopped))
    assert ("for 5.5 of at most 8 epochs (it stopped once the held-out posts had stopped improving), keeping epoch "
            "3.5, the best on validation (learning rate 0.0003, 0.001 for the token embeddings, cosine") in card
    assert "of at most" not in render_card(_facts()) and "token embeddings" not in render_card(_facts())


def test_how_to_use_explains_a_local_folder() -> None:
    facts = _facts()
    local = render_card(CardFacts(**{**facts.__dict__, "model_ref": "gullhaven_dot"}))
    assert "`gullhaven_dot` is the folder inside `gullhaven_dot.zip`" in local
    assert "https://huggingface.co/huggingtweets/gullhaven_dot" in render_card(facts)


def test_online_runs_are_linked_and_offline_ones_leave_no_section() -> None:
    facts = _facts()
    links = {"preprocess run": "https://wandb.ai/dot/huggingtweets/runs/abc",
             "train run": "https://wandb.ai/dot/huggingtweets/runs/def"}
    online = render_card(CardFacts(**{**facts.__dict__, "links": links}))
    assert "## Weights & Biases" in online
    assert "[train run](https://wandb.ai/dot/huggingtweets/runs/def)" in online
    offline = render_card(facts)
    assert "Weights & Biases" not in offline and "wandb.ai" not in offline


def test_front_matter_names_a_hub_base_but_not_scratch() -> None:
    from huggingface_hub import ModelCard

    assert ModelCard(render_card(_facts(base="gpt2"))).data.base_model == "gpt2"
    scratch = ModelCard(render_card(_facts(base="scratch"))).data
    assert scratch.base_model is None and scratch.pipeline_tag == "text-generation"


def test_the_card_shows_the_pipeline_picture_shipped_beside_it() -> None:
    from importlib import resources
    from pathlib import Path

    assert "![pipeline](pipeline.png)" in render_card(_facts())
    shipped = resources.files("huggingtweets").joinpath("templates/pipeline.png").read_bytes()
    drawn = Path(__file__).resolve().parents[1] / "img" / "pipeline.png"
    assert shipped == drawn.read_bytes(), "rerun `python img/make_pipeline.py`: the two copies differ"


def test_pointing_the_card_at_a_pushed_repo() -> None:
    from huggingtweets.card import with_model_ref

    local = render_card(CardFacts(**{**_facts().__dict__, "model_ref": "gullhaven_dot"}))
    pushed = with_model_ref(local, "dot/gullhaven_dot")
    assert "model='dot/gullhaven_dot'" in pushed and "model='gullhaven_dot'" not in pushed
    assert "inside `gullhaven_dot.zip`" not in pushed
    assert "[dot/gullhaven_dot](https://huggingface.co/dot/gullhaven_dot)" in pushed


def test_the_card_says_when_samples_came_from_int8_weights() -> None:
    from dataclasses import replace

    facts = _facts()
    assert "int8" not in render_card(facts)  # sampled on the GPU it trained on
    cpu = replace(facts, metrics={**METRICS, "device": "cpu", "precision": "fp32", "sampling_precision": "int8"})
    assert "Ten new posts were then sampled from it (with int8 weights, on a CPU)" in render_card(cpu)
    three = replace(facts, metrics={**METRICS, "samples_written": 3})  # `-n 3`: the card says what was done
    assert "Three new posts were then sampled from it, and" in render_card(three)
    many = replace(facts, metrics={**METRICS, "samples_written": 12})
    assert "12 new posts were then sampled" in render_card(many)


def test_values_from_input_cannot_add_front_matter_keys_or_markup() -> None:
    """A hostile profile (an archive's profile.js, a Mastodon or Bluesky server) can't write the card."""
    import yaml

    from huggingtweets.clean import CleanStats

    hostile = Profile("dot|x", "Dot</div><script>alert(1)</script>\n---\nlicense: gpl-3.0", "mastodon",
                      avatar_url="https://img.example/a.png\nlicense: gpl-3.0\ninjected_key: pwned")
    facts = CardFacts(**{**_facts().__dict__, "profiles": [hostile],
                         "stats": [CleanStats("dot|x", downloaded=10, kept=9, chars=9_000)]})
    card = render_card(facts)
    front = yaml.safe_load(card.split("---\n")[1])
    assert set(front) == {"language", "library_name", "pipeline_tag", "base_model", "tags", "widget", "huggingtweets"}
    assert front["huggingtweets"] == {"people": ["@dot|x"]}  # a value, quoted by the YAML writer
    assert "injected_key" not in card and "<script>" not in card and "</div><script>" not in card
    assert "Dot&lt;/div&gt;&lt;script&gt;alert(1)&lt;/script&gt; --- license: gpl-3.0 (@dot\\|x)" in card
    header = next(line for line in card.splitlines() if line.startswith("| Data |"))
    assert header.count(" | ") == 1  # the handle's pipe is escaped: still two columns


def test_the_card_says_the_validation_posts_were_learned_last_and_when_perplexity_was_measured() -> None:
    refit = {**METRICS, "refit_epochs": 2.0, "refit_steps": 12, "refit_learning_rate": 9e-5}
    card = render_card(replace(_facts(), metrics=refit))
    assert ("seed 42. Once they had chosen that length, the validation posts (each person's newest, the nearest to "
            "what comes next) were learned too: 2 passes over them at learning rate 9e-05, 12 steps. The weights") in card
    assert "(at most 250), measured at the best epoch, before the model learned them too." in card
    plain = render_card(_facts())
    assert "learned too" not in plain and "posts it never trained on" not in plain


def test_the_card_names_its_people_for_the_tools_that_read_it() -> None:
    from huggingtweets.card import card_people

    assert card_people(render_card(_facts(n_people=2))) == ["@gullhaven_dot", "@harbourmaster_len"]
    assert card_people("---\nlicense: mit\n---\n# someone else's model\n") == []
    assert card_people("no front matter at all") == card_people("---\n: [unclosed\n---\n") == []


def test_a_bot_made_before_its_versions_were_kept_shows_its_updates_without_a_traceback() -> None:
    """A metrics.json without a lineage gives version 1 no perplexity: the card shows a dash."""
    first = {"version": 1, "made": None, "base_model": "gpt2", "train_posts": 474, "last_post": None, "perplexity": None}
    update = {"version": 2, "made": "2026-12-01T06:00:00+00:00", "new_posts": 40, "replayed_posts": 80,
              "old_validation_perplexity_before": 30.5, "old_validation_perplexity_after": 31.0, "forgetting": 1.02,
              "perplexity": 29.0}
    card = render_card(CardFacts(**{**_facts().__dict__, "updates": [first, update]}))
    assert "| 1 | — | 474 training posts (gpt2) | — | — | — |" in card
    assert "| 2 | 2026-12-01 | 40 new posts, 80 old ones replayed |" in card
