"""proofs_checks.experiments.text: corpora (shipped Austen, TinyStories text/Parquet/JSON files the tests write), the
document split, tokenizers, the n-gram baselines, the chunk/window layout of the neural models, sampling,
bad input, and one quick run of the whole experiment."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from learners import MLPAR
from proofs_checks.experiments.text import CorpusError, TextError, load_austen, load_tinystories, split_documents
from proofs_checks.experiments.text.experiment import QUICK_MARGIN, main, run_text
from proofs_checks.experiments.text.models import (LinearLMConfig, fit_mlpar_lm, make_chunks, mlpar_next_logits, mlpar_nll,
                                       sample, strided_windows)
from proofs_checks.experiments.text.ngram import KneserNeyLM, UnigramLM
from proofs_checks.experiments.text.tokenizers import EOS, UNK, BPETokenizer, WordTokenizer, load_tokenizer

STORIES = ["Once upon a time there was a cat.\nThe cat liked milk.", "Tom had a red ball. He played all day!",
           "A little bird sang. The bird was happy."]


# ---------------------------------------------------------------------------------------------- corpora
def test_austen_has_six_books_and_269_chapters():
    c = load_austen()
    books = {t.split(", chapter")[0] for t in c.titles}
    assert books == {"Sense & Sensibility", "Pride & Prejudice", "Mansfield Park", "Emma", "Northanger Abbey",
                     "Persuasion"}
    assert len(c) == 269 and all(len(d) > 1000 for d in c.documents)
    assert 700_000 < sum(len(d.split()) for d in c.documents) < 730_000
    assert "It is a truth universally acknowledged" in c.documents[c.titles.index("Pride & Prejudice, chapter 1")]


def test_split_is_by_document_deterministic_and_order_free():
    docs = load_austen().documents
    s = split_documents(docs)
    assert len(s.test) == len(s.valid) == 27 and len(s.train) == 215
    assert set(s.train) | set(s.valid) | set(s.test) == set(docs)
    assert not (set(s.train) & set(s.test)) and not (set(s.valid) & set(s.test))
    r = split_documents(list(reversed(docs)))
    assert set(r.test) == set(s.test) and set(r.valid) == set(s.valid)


def test_tinystories_text_file(tmp_path):
    p = tmp_path / "TinyStories-valid.txt"
    p.write_text("<|endoftext|>\n".join(STORIES) + "\n<|endoftext|>\n", encoding="utf-8")
    c = load_tinystories(p)
    assert c.documents == ("Once upon a time there was a cat.\nThe cat liked milk.",) + tuple(STORIES[1:])
    assert len(load_tinystories(p, max_documents=2)) == 2


def test_tinystories_parquet_json_and_directory(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"text": STORIES, "id": [1, 2, 3]}), tmp_path / "a.parquet")
    (tmp_path / "b.json").write_text(json.dumps([{"text": s} for s in STORIES[:2]]))
    (tmp_path / "c.jsonl").write_text("\n".join(json.dumps({"text": s}) for s in STORIES[2:]))
    assert load_tinystories(tmp_path / "a.parquet").documents == tuple(
        s.replace("\n", "\n") for s in load_tinystories(tmp_path / "a.parquet").documents)
    assert len(load_tinystories(tmp_path / "a.parquet")) == 3
    assert load_tinystories(tmp_path / "b.json").documents[1] == STORIES[1]
    assert len(load_tinystories(tmp_path)) == 6  # the directory: a.parquet, b.json, c.jsonl in name order
    assert load_tinystories(tmp_path).documents[-1] == STORIES[2]


def test_corpus_errors(tmp_path):
    with pytest.raises(CorpusError, match="does not exist"):
        load_tinystories(tmp_path / "missing.txt")
    (tmp_path / "empty.txt").write_text("")
    with pytest.raises(CorpusError, match="is empty"):
        load_tinystories(tmp_path / "empty.txt")
    (tmp_path / "plain.txt").write_text("A story without any separator at all.")
    with pytest.raises(CorpusError, match="no '<\\|endoftext\\|>' separators"):
        load_tinystories(tmp_path / "plain.txt")
    (tmp_path / "seps.txt").write_text("<|endoftext|>\n <|endoftext|>")
    with pytest.raises(CorpusError, match="No non-empty document"):
        load_tinystories(tmp_path / "seps.txt")
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"story": ["x"]}), tmp_path / "t.parquet")
    with pytest.raises(CorpusError, match="no 'text' column"):
        load_tinystories(tmp_path / "t.parquet")
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(CorpusError, match="not JSON"):
        load_tinystories(tmp_path / "bad.json")
    with pytest.raises(CorpusError, match="'valid' fraction"):
        split_documents(["a", "b"], valid=0)
    with pytest.raises(CorpusError, match="at least one training document"):
        split_documents(["a", "b"])


def test_cli_reports_bad_corpora_with_exit_code_2(tmp_path, capsys):
    assert main(["--quick", "--corpus", str(tmp_path / "nope.txt"), "--out", str(tmp_path / "o"), "--quiet"]) == 2
    assert "does not exist" in capsys.readouterr().err
    (tmp_path / "plain.txt").write_text("no separators here")
    assert main(["--quick", "--corpus", str(tmp_path / "plain.txt"), "--out", str(tmp_path / "o"), "--quiet"]) == 2
    assert "<|endoftext|>" in capsys.readouterr().err


def test_context_longer_than_every_document_is_an_error(tmp_path):
    p = tmp_path / "short.txt"
    p.write_text("<|endoftext|>".join(["a cat sat here."] * 30))
    with pytest.raises(TextError, match="not shorter than the longest training document"):
        run_text(quick=True, corpus=p, verbose=0)


# ---------------------------------------------------------------------------------------------- tokenizers
def test_word_tokenizer_top_v_unk_punctuation_and_save(tmp_path):
    tok = WordTokenizer(vocab_size=9).fit(["The cat sat, the cat ran.", "The dog ran!"])
    assert tok.tokens[3:5] == ["the", "cat"] and len(tok.tokens) == 9
    ids = tok.encode("The cat flew, the end.")
    assert [tok.tokens[i] for i in ids] == ["the", "cat", "<unk>", ",", "the", "<unk>", "."]
    assert tok.decode(tok.encode("the cat sat, the cat ran.")) == "the cat sat, the cat ran."
    back = load_tokenizer(tok.save(tmp_path / "tok.json"))
    assert back.tokens == tok.tokens and back.encode("the cat ran!").tolist() == tok.encode("the cat ran!").tolist()
    docs = tok.encode_documents(["the cat"])
    assert docs[0].tolist() == [EOS, 3, 4, EOS]
    with pytest.raises(TextError, match="'vocab_size' parameter"):
        WordTokenizer(vocab_size=2)


@settings(max_examples=25, deadline=None)
@given(st.text(min_size=0, max_size=40))
def test_bpe_round_trips_any_text(text):
    assert _BPE.decode(_BPE.encode(text)) == text


_BPE = BPETokenizer(vocab_size=300).fit(STORIES * 5)


def test_bpe_save_load_and_merges(tmp_path):
    assert _BPE.vocab_size <= 300 and _BPE.tokens[:3] == ["<pad>", "<unk>", "<eos>"]
    assert len(_BPE.encode("The cat liked milk.")) < len("The cat liked milk.")  # merges learnt
    back = load_tokenizer(_BPE.save(tmp_path / "bpe.json"))
    assert back.encode("Tom played.").tolist() == _BPE.encode("Tom played.").tolist()
    with pytest.raises(TextError, match="not a saved tokenizer"):
        (tmp_path / "x.json").write_text("{}")
        load_tokenizer(tmp_path / "x.json")


# ---------------------------------------------------------------------------------------------- n-grams
def _random_docs(V=12, n=20, seed=0):
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        body = rng.integers(3, V, size=rng.integers(3, 30))
        body[1::3] = (body[0::3][:len(body[1::3])] + 1) % (V - 3) + 3  # some structure
        out.append(np.concatenate([[EOS], body, [EOS]]).astype(np.int32))
    return out


@pytest.mark.parametrize("n", [1, 2, 3, 4])
def test_kneser_ney_is_a_distribution_and_matches_its_nll(n):
    docs = _random_docs()
    kn = KneserNeyLM(12, order=4).fit(docs[:15])
    for d in docs[15:]:
        hist = d[:-1].tolist()
        p = kn.distribution(hist, n)
        assert abs(p.sum() - 1.0) < 1e-12 and (p > 0).all()
    total, count = kn.nll(docs[15:], n)
    manual = -sum(math.log(kn.distribution(d[:i].tolist(), n)[d[i]]) for d in docs[15:] for i in range(1, len(d)))
    assert count == sum(len(d) - 1 for d in docs[15:]) and abs(total - manual) < 1e-9


def test_kneser_ney_discounts_and_a_hand_computed_bigram():
    # one document "<eos> 3 4 3 4 3 5 <eos>"; bigram model, counts (3,4)=2, (3,5)=1
    kn = KneserNeyLM(6, order=2).fit([np.array([EOS, 3, 4, 3, 4, 3, 5, EOS])])
    D1, D2, D3 = kn.discounts(2)
    assert (D1, D2, D3) == (0.75, 0.75, 0.75)  # too few counts for count-of-counts: the fallback
    # continuation counts: 3 <- {eos, 4}; 4 <- {3}; 5 <- {3}; eos <- {5}: total 5, four types of count 1 or 2
    p_cont_4 = (max(1 - 0.75, 0) + 0.75 * 4 * (1 / 6)) / 5
    gamma3 = (0.75 * 1 + 0.75 * 1) / 3  # history 3: one continuation seen twice (4), one once (5)
    expect = (2 - 0.75) / 3 + gamma3 * p_cont_4
    assert abs(kn.distribution([3], 2)[4] - expect) < 1e-12


def test_kneser_ney_beats_unigram_and_unigram_is_add_one():
    docs = _random_docs(n=60)
    uni = UnigramLM(12).fit(docs[:50])
    kn = KneserNeyLM(12, order=3).fit(docs[:50])
    assert kn.perplexity(docs[50:], 3) < 0.9 * uni.perplexity(docs[50:])
    counts = np.bincount(np.concatenate([d[1:] for d in docs[:50]]), minlength=12)
    assert np.allclose(np.exp(uni.logp_), (counts + 1) / (counts.sum() + 12))


# ---------------------------------------------------------------------------------------------- layout
@settings(max_examples=40, deadline=None)
@given(lens=st.lists(st.integers(2, 40), min_size=1, max_size=4), T=st.integers(1, 12), stride=st.integers(1, 12))
def test_chunks_and_windows_cover_every_target(lens, T, stride):
    docs = [np.arange(n, dtype=np.int32) % 50 + 3 for n in lens]
    stride = min(stride, T)
    ch = make_chunks(docs, T, 60, stride=stride)
    assert np.diff(ch.offsets).max() <= T + 1
    if stride == T:  # each target exactly once
        assert int(ch.kinds.sum()) == sum(n - 1 for n in lens)
    toks, where = strided_windows(docs, T)
    assert int(where.sum()) == sum(n - 1 for n in lens)
    # the scored tokens, in order, are each document's tokens after the first
    got = toks[where]
    assert got.tolist() == np.concatenate([d[1:] for d in docs]).tolist()
    # every scored position sees min(T // 2, its position in the document) tokens or more
    ctx = np.nonzero(where)[1]
    pos_in_doc = np.concatenate([np.arange(1, n) for n in lens])
    assert (ctx >= np.minimum(max(1, T // 2), pos_in_doc)).all()


def _tiny_model(docs, V, T=6, **kw):
    cfg = LinearLMConfig(context=T, embedding_dim=4, learning_rate=1e-2, batch_size=8, max_epochs=3,
                         evals_per_epoch=1, **kw)
    return fit_mlpar_lm(docs[:12], docs[12:], V, cfg, random_state=0)


def test_strided_nll_equals_mlpar_loss_on_short_documents():
    docs = [d[:7] for d in _random_docs(n=16)]  # every document fits one window of T + 1 = 7 tokens
    m, curve = _tiny_model(docs, 12)
    assert m.context_length_ == 7 and curve and all(p > 1 for _, p in curve)
    total, n = mlpar_nll(m, docs)
    seqs = make_chunks(docs, 6, 12)
    assert abs(total / n - m.loss(seqs)) < 1e-5
    assert m.activation == "identity" and m.hidden_ == ()


def test_sampling_is_deterministic_for_a_seed():
    m, _ = _tiny_model(_random_docs(n=16), 12)
    fn = lambda h: mlpar_next_logits(m, h)  # noqa: E731
    a = sample(fn, [EOS, 3], 20, temperature=1.0, random_state=7, stop=None)
    b = sample(fn, [EOS, 3], 20, temperature=1.0, random_state=7, stop=None)
    c = sample(fn, [EOS, 3], 20, temperature=1.0, random_state=8, stop=None)
    assert a == b and a != c and len(a) == 22
    g = sample(fn, [EOS, 3], 5, temperature=0.0, stop=None)
    for i in range(2, len(g)):  # greedy: each token is the argmax (never <pad>) after the ones before
        lg = fn(g[:i]).copy()
        lg[0] = -np.inf
        assert g[i] == int(np.argmax(lg))
    with pytest.raises(TextError, match="'temperature'"):
        sample(fn, [EOS], 3, temperature=-1.0)


# ---------------------------------------------------------------------------------------------- the run
@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    out = tmp_path_factory.mktemp("text")
    return run_text(quick=True, out_dir=out, verbose=0), out


@pytest.mark.slow
def test_quick_linear_model_beats_unigram_by_a_wide_margin(quick):
    result, _ = quick
    lin, uni = result.row("linear"), result.row("unigram")
    assert lin.test_perplexity <= QUICK_MARGIN * uni.test_perplexity, result.table()
    assert result.checks["linear_beats_unigram"]["passed"] and result.passed
    assert {r.model for r in result.rows} >= {"unigram", "kn-3", "linear", "mlp"}
    for r in result.rows:
        assert r.valid_perplexity > 1 and r.test_perplexity > 1 and r.parameters_stored >= r.parameters_effective > 0


@pytest.mark.slow
def test_quick_outputs_and_json_contract(quick):
    result, out = quick
    d = json.loads((out / "text.json").read_text())
    assert d["name"] == "text" and d["passed"] is True and isinstance(d["claim"], str)
    assert d["measured"]["linear_test_perplexity"] == result.row("linear").test_perplexity
    assert d["threshold"] == {"linear_over_unigram_max": QUICK_MARGIN}
    names = {p.name for p in out.iterdir()}
    assert names >= {"text.json", "text.txt", "samples.txt", "tokenizer.json", "linear.npz", "mlp.npz",
                     "valid_perplexity.png", "valid_perplexity.svg"}
    assert "linear" in (out / "text.txt").read_text()
    assert "once upon a time" in (out / "samples.txt").read_text().lower()
    assert set(result.samples["linear"]) == {"greedy", "temperature 0.5"}


@pytest.mark.slow
def test_quick_saved_model_and_tokenizer_reproduce_perplexity_and_samples(quick):
    result, out = quick
    tok = load_tokenizer(out / "tokenizer.json")
    m = MLPAR.load(out / "linear.npz")
    from proofs_checks.experiments.text.corpora import load_austen, split_documents

    split = split_documents(load_austen().documents[:result.config.max_documents])
    tot, n = mlpar_nll(m, tok.encode_documents(split.test))
    assert abs(math.exp(tot / n) - result.row("linear").test_perplexity) < 1e-3 * result.row("linear").test_perplexity
    prompt = [EOS] + tok.encode("Once upon a time").tolist()
    ids = sample(lambda h: mlpar_next_logits(m, h), prompt, result.config.sample_tokens, temperature=0.5,
                 random_state=result.config.seed)
    assert tok.decode(ids) == result.samples["linear"]["temperature 0.5"]


def test_transformer_baseline_scores_the_same_targets():
    pytest.importorskip("torch")
    from proofs_checks.experiments.text.transformer_baseline import (TransformerConfig, fit_transformer_lm,
                                                                     make_transformer, transformer_nll)

    docs = _random_docs(n=90)
    cfg = TransformerConfig(context=6, n_layer=1, n_head=2, d_model=16, evals=3)
    untrained = make_transformer(cfg, 3.0, max_steps=0).fit(make_chunks(docs[:80], cfg.context, 12))
    before = transformer_nll(untrained, docs[80:])
    tm, curve = fit_transformer_lm(docs[:80], docs[80:], 12, cfg, max_time=3.0)
    after = transformer_nll(tm, docs[80:])
    assert before[1] == after[1] == sum(len(d) - 1 for d in docs[80:])
    assert after[0] < before[0] and curve


def _story_file(tmp_path, n=300):
    rng = np.random.default_rng(0)
    names, animals, verbs = ["Tom", "Lily", "Ben", "Sue"], ["cat", "dog", "bird", "fish"], ["run", "jump", "sing", "swim"]
    stories = []
    for _ in range(n):
        nm, an, vb = rng.choice(names), rng.choice(animals), rng.choice(verbs)
        stories.append(f"Once upon a time there was a {an} named {nm}. {nm} liked to {vb}.\n"
                       f"One day {nm} saw a big {rng.choice(animals)}. They played and {vb} all day. The end.")
    p = tmp_path / "TinyStories-mini.txt"
    p.write_text("\n<|endoftext|>\n".join(stories), encoding="utf-8")
    return p


@pytest.mark.parametrize("tokenizer, vocab", [("word", 64), ("bpe", 300)])
@pytest.mark.slow
def test_tinystories_file_runs_end_to_end_without_torch(tmp_path, monkeypatch, tokenizer, vocab):
    """A TinyStories text file through the whole run, as on a machine without PyTorch (the CI): the
    transformer row is skipped with a note, the other rows and files are there."""
    from dataclasses import replace

    import proofs_checks.experiments.text.experiment as experiment
    from proofs_checks.experiments.text.experiment import default_config

    monkeypatch.setattr(experiment, "torch_available", lambda: False)

    p = _story_file(tmp_path)
    cfg = default_config(True, str(p), tokenizer)
    short = replace(cfg.linear, context=8, max_time=3.0)
    cfg = replace(cfg, vocab_size=vocab, linear=short, mlp=replace(short, activation="relu"), sample_tokens=12,
                  transformer=replace(cfg.transformer, context=8, d_model=16, evals=2))
    result = run_text(corpus=p, config=cfg, verbose=0, out_dir=tmp_path / "out")
    assert result.corpus["documents"] == 300 and result.corpus["name"] == "TinyStories-mini.txt"
    assert result.row("linear").test_perplexity < 0.5 * result.row("unigram").test_perplexity, result.table()
    assert result.samples["linear"]["greedy"].lower().startswith("once upon a time")
    assert json.loads((tmp_path / "out" / "tokenizer.json").read_text())["kind"] == tokenizer
    assert (tmp_path / "out" / "text.json").is_file()
    assert result.row("transformer") is None and "PyTorch is not installed" in result.checks["linear_vs_transformer"]["text"]
    assert result.passed  # quick mode: the transformer comparison is reported, not a target
