"""The script step: the persona corpus and style profile, retrieval (jieba + BM25, MiniLM
embeddings), the chat client against a real llama.cpp server on 127.0.0.1, the local model,
revision rounds driven by comments, and the format and scope checks."""

from __future__ import annotations

import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest

from persona.records import ConsentScope
from script.contract import DraftRequest, PersonaStyle, ReviseRequest
from script.llm.contract import ChatMessage, ChatRequest
from script.markup import MarkupError
from script.sentences import Brief, Cue, Sentence
from tests.conftest import free_port
from tests.voice_servers import studio_server

PAST_TALKS_EN = [
    "Every Spring Festival I say the same thing: a family is a garden, and gardens need patience.",
    "I am not a speech maker. I am a dumpling maker who was handed a microphone.",
    "Well, you know, my dear friends, a family is a garden, and somebody has to water it.",
    "Call your mother more often. She will pretend she is busy, but she is waiting.",
    "My dear friends, remember the movie where the old man plants a tree he will never sit under?",
    "The plum tree blooms in the coldest month. That is why we admire it.",
    "Work hard, but go home for dinner. Well, the office will still be there tomorrow.",
]
PAST_TALKS_ZH = [
    "每年春节我都说同样的话：家就像一个花园，花园需要耐心。",
    "我这个人不会讲话，我就是个包饺子的，被人塞了个话筒。",
    "工作要努力，但是要回家吃饭，那个，公司明天还在。",
    "各位同事，大家好！今年我们公司的业绩不错，那个，大家辛苦了。",
    "俗话说，梅花香自苦寒来。",
    "各位同事，就像电影里说的，生活就像一盒巧克力。",
    "那个，家就像一个花园嘛，对吧？",
]


# ------------------------------------------------------------------ embeddings and retrieval


def test_minilm_matches_sentence_transformers():
    """Our torch run of all-MiniLM-L6-v2 gives the similarities sentence-transformers documents
    for this model (0.6660, 0.1046, 0.1411 in its quickstart)."""
    from persona.backends.embed_minilm import minilm

    v = minilm().encode(["The weather is lovely today.", "It's so sunny outside!", "He drove to the stadium."])
    assert v.shape == (3, 384) and np.allclose(np.linalg.norm(v, axis=1), 1, atol=1e-5)
    sims = v @ v.T
    assert sims[0, 1] == pytest.approx(0.6660, abs=2e-3)
    assert sims[0, 2] == pytest.approx(0.1046, abs=2e-3)
    assert sims[1, 2] == pytest.approx(0.1411, abs=2e-3)


def test_retrieval_finds_chinese_by_words_and_english_by_meaning():
    from persona.retrieval import PassageIndex, words

    assert "花园" in words("家就像一个花园", "zh") and "的" not in words("我的家", "zh")
    zh = PassageIndex(PAST_TALKS_ZH, "zh")
    assert zh.search("公司年会，感谢同事们的业绩", 1)[0].text == PAST_TALKS_ZH[3]
    assert zh.search("梅花", 1)[0].text == PAST_TALKS_ZH[4]
    # 「冬天开的花」 shares no word with 「梅花香自苦寒来」: multilingual e5 finds it by meaning
    assert PAST_TALKS_ZH[4] not in [h.text for h in PassageIndex(PAST_TALKS_ZH, "zh", embeddings=False).search("冬天开的花", 3)]
    assert zh.search("冬天开的花", 1)[0].text == PAST_TALKS_ZH[4]
    assert zh.search("量子物理的实验方法", 3) == []  # shares no word and means something else
    assert PassageIndex(PAST_TALKS_ZH, "zh", model="minilm").vectors is None  # MiniLM embeds English only
    # "blossoms in winter" shares no word with the plum tree passage: only the embeddings find it
    query = "blossoms in winter"
    plain = PassageIndex(PAST_TALKS_EN, "en", embeddings=False).search(query, 3)
    assert PAST_TALKS_EN[5] not in [h.text for h in plain]
    for model in ("e5", "minilm"):
        fused = PassageIndex(PAST_TALKS_EN, "en", model=model).search(query, 3)
        assert fused[0].text == PAST_TALKS_EN[5], model  # no passage shares a word: meaning alone ranks them
    assert PassageIndex([], "en").search(query) == []


# ------------------------------------------------------------------ corpus and style profile


def _persona_with_texts(settings, tmp_path, texts: dict[str, str | bytes], language="en"):
    from app.api import StudioAPI

    api = StudioAPI(settings)
    persona = api.create_persona("Corpus Test (fictional)", [language], fictional=True)
    uploads = []
    for name, content in texts.items():
        path = tmp_path / name
        path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
        uploads.append(api.add_material(persona.id, "text", path))
    return api, persona, uploads


def test_corpus_style_profile_and_operator_edits(settings, tmp_path):
    from persona.records import PersonaCorpus, StyleProfile

    api, persona, _ = _persona_with_texts(settings, tmp_path, {
        "talks.txt": "\n".join(PAST_TALKS_EN[:4]), "more.txt": "\n\n".join(PAST_TALKS_EN[4:])})
    corpus, profile = api.build_corpus(persona.id, transcribe=False)
    assert corpus.texts == PAST_TALKS_EN and {p.origin for p in corpus.passages} == {"text"}
    assert "a family is a garden" in profile.catchphrases
    assert profile.fillers == ["well"]  # said twice; "you know" only once
    assert "my dear friends" in profile.forms_of_address
    assert {"self-mockery", "film or sketch reference"} <= {h.name for h in profile.humour}
    assert 8 < profile.sentence_length < 16

    edited = api.edit_style(persona.id, actor="Ada", catchphrases=["gardens need patience"],
                            notes="Teaches through films.")
    assert edited.edited_fields == ["catchphrases", "notes"] and edited.edited_by == "Ada"
    with pytest.raises(ValueError, match="no editable field"):
        api.edit_style(persona.id, actor="Ada", favourite_colour="red")
    # a new upload: the corpus grows, the derived fields follow it, the edited ones stay
    extra = tmp_path / "new.txt"
    extra.write_text("Ladies and gentlemen, I promised to keep this short. I never do.\n")
    api.add_material(persona.id, "text", extra)
    corpus2, profile2 = api.build_corpus(persona.id, transcribe=False)
    assert len(corpus2.passages) == len(corpus.passages) + 1
    assert profile2.catchphrases == ["gardens need patience"] and profile2.notes == "Teaches through films."
    assert "ladies and gentlemen" in profile2.forms_of_address  # derived afresh
    assert api.catalog.load(StyleProfile, persona.id) == profile2
    assert api.catalog.load(PersonaCorpus, persona.id).sources.keys() == corpus2.sources.keys()
    hits = api.search_corpus(persona.id, "dumplings and speeches")
    assert hits[0].text == PAST_TALKS_EN[1]


def test_corpus_of_chinese_texts_and_bad_uploads(settings, tmp_path):
    from media.ffmpeg_io import MediaError
    from persona.records import Upload

    api, persona, _ = _persona_with_texts(settings, tmp_path, {"gbk.txt": "\n".join(PAST_TALKS_ZH).encode("gb18030")},
                                          language="zh")
    binary = tmp_path / "photo.txt"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00binary")
    with pytest.raises(MediaError, match="not plain text"):
        api.add_material(persona.id, "text", binary)  # refused when uploaded
    ref = api.catalog.put_media_file(binary, "text/plain")  # one stored before uploads were checked
    legacy = Upload(id=f"upload-{persona.id}-{ref.sha256[:12]}-text", persona_id=persona.id, role="text", asset=ref)
    api.catalog.save(legacy)
    corpus, profile = api.build_corpus(persona.id, transcribe=False)
    assert corpus.texts == PAST_TALKS_ZH  # GB18030 read; the binary file left out, nothing else lost
    assert legacy.id not in corpus.sources
    assert "各位同事" in profile.forms_of_address and "那个" in profile.fillers
    assert any("花园" in c for c in profile.catchphrases)
    assert {"saying or proverb", "self-mockery"} <= {h.name for h in profile.humour}
    events = [e for e in api.catalog.audit_events() if e.action == "corpus.built"]
    assert "not plain text" in events[-1].details["problems"][0]


def test_chinese_style_profile_finds_particles_regional_words_and_humour():
    from persona.corpus import derive_style_profile, passages_from_text
    from persona.records import PersonaCorpus

    texts = [*PAST_TALKS_ZH, "甭管多忙，年夜饭得回家吃饭，咱们家的老规矩嘛。", "我年轻的时候，我爸说一个好笑话顶半顿饭。",
             "那个，说白了就是一句话嘛，回家吃饭。", "你们去酒吧我不管，过年得回家吧。"]
    corpus = PersonaCorpus(id="p", persona_id="p", language="zh",
                           passages=[p for i, t in enumerate(texts) for p in passages_from_text(t, f"u{i}")])
    profile = derive_style_profile(corpus)
    assert {"那个", "嘛"} <= set(profile.fillers)  # 嘛 ends clauses three times
    assert "吧" not in profile.fillers  # once as a particle; 酒吧 is not one
    assert profile.regional_words[:2] == ["甭", "咱们"] or set(profile.regional_words) == {"甭", "咱们"}
    assert "laughter" not in {h.name for h in profile.humour}  # 笑话 is a joke, not a laugh
    assert "film or sketch reference" in {h.name for h in profile.humour}
    assert "回家吃饭" in profile.catchphrases


@pytest.mark.slow
def test_corpus_takes_in_what_the_persona_says_in_recordings(settings, persona_media, speech_check):
    from app.api import StudioAPI
    from persona.corpus import build_corpus
    from storage import open_catalog

    api = StudioAPI(settings)
    persona = api.create_persona("Recorded (fictional)", ["en"], fictional=True)
    api.add_material(persona.id, "voice", persona_media["voice"])
    corpus = build_corpus(open_catalog(settings), persona.id, check=speech_check)
    heard = " ".join(corpus.texts).lower()
    assert {p.origin for p in corpus.passages} == {"transcript"}
    assert "plum tree" in heard and "dumplings" in heard  # lines the fictional persona reads


# ------------------------------------------------------------------ repair and checks

MODEL_OUTPUTS = {  # what small chat models tend to answer -> the sentences it should mend to
    "Sure! Here's the greeting:\n\n1. **Dear family**, happy Spring Festival! (laughs) The plum tree bloomed.\n"
    "2. Uncle Bo: *sips water* Come home for dinner.\nI hope you enjoy it!":
        ["Dear family, happy Spring Festival!", "The plum tree bloomed.", "Come home for dinner."],
    "```\n{happy} Hello everyone! [looks at the camera]\n[pause 0.8s]\n{Warm} Thank you. 😊\n```":
        ["Hello everyone!", "Thank you."],
    "- 亲爱的家人们，春节快乐！（笑）今年的梅花开了。\n- 大家回家吃饭吧。": ["亲爱的家人们，春节快乐！", "今年的梅花开了。", "大家回家吃饭吧。"],
    "Uncle Bo: Welcome home. (laughs) Uncle Bo: The plum tree bloomed.": ["Welcome home.", "The plum tree bloomed."],
    "Dear family [pause 2s] I love you all [waves] goodbye.": ["Dear family", "I love you all goodbye."],
    # labels and preambles the prompt's own words come back as (issue 16: "Your talk:" reached an approved v2)
    "Your talk: I'm proud of every one of you this year.": ["I'm proud of every one of you this year."],
    "Script: Welcome home, everyone.": ["Welcome home, everyone."],
    "New sentence: Come home for dinner.": ["Come home for dinner."],
    "稿子：家人们，过年好！院子里的梅花开了。": ["家人们，过年好！", "院子里的梅花开了。"],
    "好的，以下是修改后的稿子：家人们，过年好！": ["家人们，过年好！"],
    "好的，以下是修改后的句子：\n修改后的句子：孩子们，过年好！": ["孩子们，过年好！"],
    'My first sentence is: "I am glad you all came tonight.': ["I am glad you all came tonight."],
    "In my own words: a family is a garden.": ["A family is a garden."],
    "我说：大家晚上好，今天真高兴。": ["大家晚上好，今天真高兴。"],
    # a preamble with the words on the same line: the words after the colon are the script
    "Here's my toast: to the plum tree behind the old house.": ["To the plum tree behind the old house."],
    "Sure! Here is the script: Come home for dinner, all of you.": ["Come home for dinner, all of you."],
}


def test_repair_mends_what_models_write_and_rejects_what_is_not_a_script():
    from script.checks import repair_model_output

    for answer, expected in MODEL_OUTPUTS.items():
        mended = repair_model_output(answer, ["warm", "teasing", "neutral"])
        assert [s.text for s in mended.sentences] == expected, answer
        assert mended.fixes
    first = repair_model_output(next(iter(MODEL_OUTPUTS)), ["warm"]).sentences
    assert first[0].cues_after == [Cue(kind="laugh")] and first[2].cues_before == [Cue(kind="drink")]
    second = repair_model_output(list(MODEL_OUTPUTS)[1], ["warm", "neutral"]).sentences
    assert second[0].style == "warm" and second[0].cues_after == [Cue(kind="pause", seconds=0.8)]  # {happy} -> warm
    assert repair_model_output("I *love* you all.", ["warm"]).sentences[0].stressed == ["love"]
    for broken in ("", "Sure! Here you go:", "[laugh] [laugh]", "1.\n2.\n3."):
        with pytest.raises(MarkupError):
            repair_model_output(broken, ["warm"])


def test_checks_flag_scope_violations_before_review():
    from script.checks import check_script

    scope = ConsentScope(uses=["greeting"], forbidden_topics=["politics", "the will"], own_words_only=True)
    brief = Brief(occasion="Spring Festival", audience="family", points=["We sold 1,200 dumplings at the fair"])
    corpus = PAST_TALKS_EN
    lines = ["Happy Spring Festival, my dear family!",  # fine
             "Let us not talk about political games tonight.",  # forbidden (politics)
             "Everyone should buy Acme tea, use code BO20 for 20% off!",  # endorsement
             "I always said that the company should merge with its rival.",  # a view he never voiced
             "As I always say, a family is a garden, and gardens need patience.",  # his own words
             "We sold 1,200 dumplings at the fair.",  # a figure from the brief
             "Our profits grew by 300 percent.",  # a figure nobody gave
             "新年快乐",  # wrong language
             " ".join(["word"] * 60)]  # too long to say
    flags = check_script([Sentence(text=t) for t in lines], "en", scope, corpus=corpus, brief=brief, typical_length=12)
    found = {(f.kind, f.sentence) for f in flags if f.sentence}  # the length as a whole: its own test
    assert found == {("forbidden_topic", 2), ("endorsement", 3), ("unmade_claim", 4), ("unmade_claim", 7),
                     ("language", 8), ("length", 9)}
    assert not check_script([Sentence(text=lines[2])], "en", scope.model_copy(update={"endorsements": True, "own_words_only": False}))
    assert not [f for f in check_script([Sentence(text=lines[3])], "en", scope.model_copy(update={"own_words_only": False}))]
    zh = check_script([Sentence(text="大家扫码下单，限时优惠！"), Sentence(text="我常说，家就像一个花园。")], "zh",
                      scope, corpus=PAST_TALKS_ZH)
    assert [(f.kind, f.sentence) for f in zh] == [("endorsement", 1)]


def test_chinese_checks_catch_labels_figures_calls_to_buy_and_unmade_claims():
    from script.backends.llm_writer import LLMScript, _echoes
    from script.checks import check_script, repair_model_output

    mended = repair_model_output("好的，以下是春节致辞：\n稿子：家人们，过年好！\n白伯伯：梅花开了。\n王总（笑）：大家辛苦了。\n"
                                 "俗话说：梅花香自苦寒来。", ["warm"])
    assert [s.text for s in mended.sentences] == ["家人们，过年好！", "梅花开了。", "大家辛苦了。", "俗话说：梅花香自苦寒来。"]
    scope = ConsentScope(uses=["greeting"], own_words_only=True)
    brief = Brief(occasion="年会", audience="各位同事", language="zh", points=["说我一直认为公司应该和对手合并", "大家回家吃饭"])
    lines = ["今年我们赚了500万。", "利润涨了三倍。", "增长了百分之二十。", "这话我说了一万遍了。",  # figures; a saying's 一万遍 is none
             "大家都去买阿克米茶叶，现在打八折。", "回家路上去买点年货。", "我们家都买了新衣服。",  # a call to buy; shopping is not
             "我们公司应该和对手合并，这样才能更强大。", "大家回家吃饭吧。"]  # the brief's claim without "我一直认为"
    flags = check_script([Sentence(text=t) for t in lines], "zh", scope, corpus=PAST_TALKS_ZH, brief=brief)
    assert {(f.kind, f.sentence) for f in flags if f.sentence} == {("unmade_claim", 1), ("unmade_claim", 2), ("unmade_claim", 3),
                                                     ("endorsement", 5), ("unmade_claim", 8)}
    # a rewrite that reads the request back is no rewrite; a later sentence does not greet again
    assert _echoes("更温馨一点", "记得我们一起过的好日子，更加温馨一点。", "记住我们一起过的好日子。")
    assert not _echoes("更温馨一点", "记得我们一起过的好日子，多温暖啊。", "记住我们一起过的好日子。")
    assert _echoes("make it funnier", "Make it funnier: we ate dumplings.", "We ate dumplings.")
    strip = LLMScript._without_address
    assert strip(Sentence(text="家人们，今年大家都辛苦了。"), ["家人们"]).text == "今年大家都辛苦了。"
    assert strip(Sentence(text="My dear family, come home for dinner."), ["my dear family"]).text == "Come home for dinner."
    assert strip(Sentence(text="家人们，好！"), ["家人们"]).text == "家人们，好！"  # nothing left to say without it


# ------------------------------------------------------------------ the chat client


@pytest.fixture(scope="module")
def llama_server():
    """llama.cpp's OpenAI-compatible server (``studio llm serve``) with the shipped SmolLM2,
    on a free 127.0.0.1 port, behind an API key."""
    env = dict(os.environ, STUDIO_LLM_SERVE_API_KEY="sekrit", STUDIO_LLM__SHIPPED="smollm2-135m")  # plumbing: the fast model
    with studio_server("llm", "serve", ready="/v1/models", token="sekrit", env=env) as url:
        yield f"{url}/v1"


def _ask(text: str, **kw) -> ChatRequest:
    return ChatRequest(messages=[ChatMessage(role="system", content="You answer in one short sentence."),
                                 ChatMessage(role="user", content=text)], **kw)


@pytest.mark.slow
def test_openai_client_against_a_local_llama_cpp_server(llama_server):
    from script.llm.backends.openai_chat import LLMError, OpenAIChat

    chat = OpenAIChat(llama_server, "sekrit", "SmolLM2-135M-Instruct.Q4_1", timeout_s=60, max_retries=1)
    whole = chat.chat(_ask("What is the capital of France?", max_tokens=24, temperature=0, seed=1))
    assert "paris" in whole.text.lower() and whole.completion_tokens and whole.finish_reason in ("stop", "length")
    pieces: list[str] = []
    streamed = chat.chat(_ask("What is the capital of France?", max_tokens=24, temperature=0, seed=1), on_token=pieces.append)
    assert len(pieces) > 3 and "".join(pieces) == streamed.text
    assert streamed.text.strip() == whole.text.strip()  # greedy: the same answer either way
    cut = chat.chat(_ask("Count from one to one hundred in words.", max_tokens=5, temperature=0))
    assert cut.finish_reason == "length" and cut.completion_tokens == 5
    with pytest.raises(LLMError, match="refused the request \\(401\\).*api_key"):
        OpenAIChat(llama_server, "wrong", "x", max_retries=3).chat(_ask("Hi"))

    # the script writer through the server: a draft in the markup, with the persona's own passage
    from script.backends.llm_writer import LLMScript

    writer = LLMScript(chat, temperature=0.7, seed=3, mode="outline", tries=2)
    draft = writer.draft(DraftRequest(brief=Brief(occasion="birthday", audience="family", points=["come home for dinner"],
                                                  target_seconds=25),
                                      persona=PersonaStyle(name="Bo", past_passages=[PAST_TALKS_EN[6]], styles=["warm"])))
    assert draft.backend == "llm:openai" and 4 <= len(draft.sentences) <= 7
    assert "Well, the office will still be there tomorrow." in [s.text for s in draft.sentences]
    # the whole talk at once, as a capable model is asked: mended into the markup, cut to length
    whole = LLMScript(chat, temperature=0.7, seed=3, mode="whole").draft(DraftRequest(
        brief=Brief(occasion="birthday", audience="family", points=["come home for dinner"], target_seconds=15),
        persona=PersonaStyle(name="Bo", past_passages=[PAST_TALKS_EN[6]], styles=["warm"])))
    assert 1 <= len(whole.sentences) <= 7 and all(s.text.strip() for s in whole.sentences)


class _Flaky(BaseHTTPRequestHandler):
    """503 (Retry-After: 0) for the first ``fail`` requests, then a chat completion; or, with
    ``hang``, no answer at all."""

    fail, hang, seen = 1, False, 0

    def do_POST(self):
        type(self).seen += 1
        self.rfile.read(int(self.headers["content-length"]))
        if self.hang:
            time.sleep(5)
            return
        if type(self).seen <= self.fail:
            self.send_response(503)
            self.send_header("Retry-After", "0")
            self.end_headers()
            self.wfile.write(b"busy")
            return
        body = json.dumps({"model": "m", "choices": [{"message": {"content": "Hello."}, "finish_reason": "stop"}],
                           "usage": {"prompt_tokens": 3, "completion_tokens": 2}}).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_client_retries_busy_servers_and_gives_up_on_silent_ones():
    from script.llm.backends.openai_chat import LLMError, OpenAIChat

    server = ThreadingHTTPServer(("127.0.0.1", 0), _Flaky)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    try:
        _Flaky.fail, _Flaky.seen = 2, 0
        assert OpenAIChat(url, "k", "m", max_retries=2).chat(_ask("Hi")).text == "Hello."
        assert _Flaky.seen == 3
        _Flaky.fail, _Flaky.seen = 5, 0
        with pytest.raises(LLMError, match="did not answer after 2 tries.*503"):
            OpenAIChat(url, "k", "m", max_retries=1).chat(_ask("Hi"))
        _Flaky.hang, _Flaky.seen = True, 0
        start = time.perf_counter()
        with pytest.raises(LLMError, match="ReadTimeout"):
            OpenAIChat(url, "k", "m", timeout_s=0.5, max_retries=1).chat(_ask("Hi"))
        assert time.perf_counter() - start < 4.5 and _Flaky.seen == 2
    finally:
        _Flaky.hang = False
        server.shutdown()
    with pytest.raises(LLMError, match="did not answer after 1 tries.*ConnectError"):
        OpenAIChat(f"http://127.0.0.1:{free_port()}/v1", "k", "m", max_retries=0).chat(_ask("Hi"))
    with pytest.raises(ValueError, match="must start with http"):
        OpenAIChat("127.0.0.1:8080/v1", "k", "m")


# ------------------------------------------------------------------ drafting and revision rounds


@pytest.fixture(scope="module")
def writer():
    from script.backends.composer import ComposerScript
    from script.backends.llm_writer import LLMScript
    from script.llm.backends.llamacpp import LlamaCppChat

    return LLMScript(LlamaCppChat(), temperature=0.7, seed=1, mode="outline", tries=3, fallback=ComposerScript())


def _persona() -> PersonaStyle:
    from persona.corpus import derive_style_profile
    from persona.records import CorpusPassage, PersonaCorpus

    corpus = PersonaCorpus(id="bo", persona_id="bo", language="en",
                           passages=[CorpusPassage(text=t, upload_id="u", origin="text") for t in PAST_TALKS_EN])
    return PersonaStyle(name="Uncle Bo (fictional)", past_passages=[PAST_TALKS_EN[0], PAST_TALKS_EN[5]],
                        profile=derive_style_profile(corpus), styles=["warm", "teasing", "neutral"])


@pytest.mark.slow
def test_revision_rounds_change_only_what_comments_ask(writer):
    brief = Brief(occasion="Spring Festival", audience="the family", target_seconds=30,
                  points=["the plum tree we planted bloomed", "everyone should come home for dinner"])
    scope = ConsentScope(uses=["greeting"], forbidden_topics=["politics"])
    persona = _persona()
    draft = writer.draft(DraftRequest(brief=brief, persona=persona, scope=scope, forbidden_topics=["politics"],
                                      corpus=PAST_TALKS_EN))
    v1 = draft.sentences
    assert draft.backend == "llm:llamacpp" and 4 <= len(v1) <= 9
    assert PAST_TALKS_EN[0] in [s.text for s in v1]  # the person's own words

    def revise(previous, comments, authors):
        return writer.revise(ReviseRequest(brief=brief, persona=persona, previous=previous, comments=comments,
                                           authors=authors, scope=scope, forbidden_topics=["politics"], corpus=PAST_TALKS_EN))

    # round 1: the stakeholder asks for one sentence to be funnier; the family adds a line
    r2 = revise(v1, ["[sentence 2] make it funnier", "add: Grandma turns eighty this spring."], ["Mei", "Lan"])
    v2 = r2.sentences
    assert v2[1].text != v1[1].text
    assert v2[0] == v1[0] and v2[2:-2] == v1[2:-1]  # everything else exactly as it was
    assert v2[-2].text == "Grandma turns eighty this spring." and v2[-1] == v1[-1]
    assert [(c.asked_by, c.sentences, c.how) for c in r2.changes] == [("Mei", [2], "model"), ("Lan", [len(v2) - 1], "rule")]

    # round 2: a reviewer names a passage; another removes one and sets a style and a pause
    plum = next(i for i, s in enumerate(v2) if "coldest month" in s.text)
    r3 = revise(v2, ['the line about "the coldest month" should sound warmer', f"[sentence {plum + 1}] pause 1.2s",
                     "remove: Grandma turns eighty", "style 1 teasing"], ["Lan", "Lan", "Mei", "Mei"])
    v3 = r3.sentences
    assert len(v3) == len(v2) - 1 and "Grandma turns eighty" not in " ".join(s.text for s in v3)
    assert v3[0].style == "teasing" and v3[0].text == v2[0].text
    assert v3[plum].cues_after[-1] == Cue(kind="pause", seconds=1.2)
    untouched = [i for i in range(len(v3)) if i not in (0, plum)]
    assert [v3[i] for i in untouched] == [s for j, s in enumerate(v2) if j not in (0, plum, len(v2) - 2)]
    assert all(c.applied for c in r3.changes) and r3.changes[2].sentences == []
    assert not [f for f in r3.flags if f.kind in ("forbidden_topic", "endorsement")]

    # a comment that brings in a forbidden topic is taken out before review, and said so
    r4 = revise(v3, ["mention that everyone should talk about politics at dinner"], ["Mei"])
    assert "politics" not in " ".join(s.text for s in r4.sentences).lower()
    assert r4.sentences[:len(v3) - 1] == v3[:-1]


@pytest.mark.slow
def test_chinese_briefs_are_composed_when_the_model_writes_no_chinese(writer):
    brief = Brief(occasion="春节", audience="家人们", language="zh", points=["今年的梅花开了"], target_seconds=20)
    persona = PersonaStyle(name="伯伯", past_passages=PAST_TALKS_ZH[:2], styles=["warm"])
    draft = writer.draft(DraftRequest(brief=brief, persona=persona, scope=ConsentScope(uses=["greeting"])))
    assert draft.backend == "composer" and "does not write zh" in draft.notes[0]
    assert any("梅花" in s.text for s in draft.sentences)


def test_comments_on_a_time_of_the_take_reach_the_sentence_spoken_then(settings):
    from core.records import AssetRef
    from review.comments import sentence_anchors as _sentence_anchors
    from script.records import ScriptVersion
    from storage import open_catalog
    from voice.records import SentenceTiming, VoiceTake

    catalog = open_catalog(settings)
    previous = ScriptVersion(id="prod-x-v001", production_id="prod-x", version=1, language="en", backend="composer",
                             sentences=[Sentence(text="Hello."), Sentence(text="Come home."), Sentence(text="Bye.")])
    comments = ["[0:03.0-0:04.5] too fast here", "[sentence 1] warmer", "[0:09.0-0:09.5] and here"]
    assert _sentence_anchors(catalog, previous, comments) == comments  # no take yet: left as they are
    catalog.save(VoiceTake(id="prod-x-v001-voice-t1", production_id="prod-x", script_version=1, backend="kokoro",
                           audio=AssetRef(key="media/x", sha256="0" * 64, media_type="audio/wav", size=1), duration_s=9,
                           sample_rate=24000, sentence_timings=[SentenceTiming(index=0, start_s=0.2, end_s=2.0),
                                                                SentenceTiming(index=1, start_s=2.4, end_s=5.1),
                                                                SentenceTiming(index=2, start_s=5.6, end_s=8.0)]))
    assert _sentence_anchors(catalog, previous, comments) == [
        "[sentence 2] too fast here", "[sentence 1] warmer", "[sentence 3] and here"]


def test_chinese_comments_are_read_as_the_rules_they_say():
    from script.comments_zh import read_comment
    from voice.assembly import directions

    assert read_comment("第2句更温馨一点") == "[sentence 2] 更温馨一点"
    assert read_comment("第二句：改成：孩子们，过年好！") == "[sentence 2] say: 孩子们，过年好！"
    assert read_comment("[sentence 3] 这句改成：孩子们，过年好！") == "[sentence 3] say: 孩子们，过年好！"
    assert read_comment("加上：明年见！") == "add: 明年见！"
    assert read_comment("删掉关于梅花的那句") == "remove: 梅花"
    assert read_comment("[sentence 1] 删掉这句") == "[sentence 1] remove"
    assert read_comment("把“饺子”换成“汤圆”") == 'replace "饺子" with "汤圆"'
    assert read_comment("第十二句这里停顿一下") == "[sentence 12] pause"
    assert read_comment("说慢一点") == "slower"
    assert read_comment("提一下公司的一碗汤面") == "提一下公司的一碗汤面"  # for the writer, as said
    assert read_comment("make it warmer") == "make it warmer"
    assert directions(["说慢一点"])[0] < 1 < directions(["快一点"])[0] and directions(["声音低沉一点"])[1] < 1


def test_chinese_comments_change_only_what_they_name():
    from script.backends.composer import ComposerScript

    previous = [Sentence(text="家人们，过年好！"), Sentence(text="院子里的梅花开了。"),
                Sentence(text="今年的饺子是我包的。"), Sentence(text="大家回家吃年夜饭吧。")]
    brief = Brief(occasion="春节", audience="家人们", language="zh", points=["梅花开了"])
    comments = ["第1句改成：孩子们，过年好！", "加上：明年见！", "删掉关于梅花的那句", "把“饺子”换成“汤圆”",
                "第3句这里停顿一下", "第4句说慢一点", "第2句更温馨一点"]
    result = ComposerScript().revise(ReviseRequest(brief=brief, persona=PersonaStyle(name="伯伯"), previous=previous,
                                                  comments=comments))
    texts = [s.text for s in result.sentences]
    assert texts == ["孩子们，过年好！", "今年的汤圆是我包的。", "明年见！", "大家回家吃年夜饭吧。"], texts
    assert result.sentences[1].cues_after == [Cue(kind="pause", seconds=0.6)]  # 第3句 as the reviewer saw it
    assert result.sentences[3].speed < 1 and result.sentences[0].speed == 1
    applied = [(c.comment, c.applied) for c in result.changes]
    assert applied == [(c, c != "第2句更温馨一点") for c in comments]  # the composer cannot make it warmer: said so
    assert result.changes[0].sentences == [1] and result.changes[2].sentences == []


def test_transcripts_the_recogniser_could_not_follow_stay_out_of_the_corpus():
    from persona.corpus import plausible_transcript

    assert plausible_transcript("家人们，又是一年了，看到大家都在，我这心里啊，暖和。", "zh")
    assert not plausible_transcript("傻子1w2m5, iao4v4i1i1v2f5,  Khan4e4ta4t. 傻子1t.", "zh")  # Whisper on espeak Mandarin
    assert plausible_transcript("Some call me nature, others call me mother nature.", "en")
    assert not plausible_transcript("iao4v4i1 Khan4e4ta4t", "en") and not plausible_transcript("家人们过年好", "en")
    assert not plausible_transcript("...", "zh")


def test_a_script_much_shorter_or_longer_than_the_brief_asks_is_flagged_for_reviewers():
    from script.checks import check_script

    sentences = [Sentence(text="孩子们，过年好！"), Sentence(text="今年老房子后面的梅花开了，记得回家吃饭。")]  # ~6 s
    short = Brief(occasion="春节", audience="家人", language="zh", target_seconds=35)
    [flag] = [f for f in check_script(sentences, "zh", brief=short) if f.kind == "length"]
    assert flag.sentence is None and "35 s" in flag.why and "-" in flag.why
    fits = Brief(occasion="春节", audience="家人", language="zh", target_seconds=6)
    assert not [f for f in check_script(sentences, "zh", brief=fits) if f.kind == "length"]
    long = Brief(occasion="春节", audience="家人", language="zh", target_seconds=3)
    assert [f for f in check_script(sentences, "zh", brief=long) if f.kind == "length" and "+" in f.why]


def test_a_short_greeting_keeps_the_persons_own_words():
    """Fitted to a short brief, the composer's draft drops its own sentences before the
    person's passage, and a point their passage already says is left to their words."""
    from script.backends.composer import ComposerScript

    def draft(brief, passages):
        persona = PersonaStyle(name="Bo", past_passages=passages, styles=["warm", "teasing"])
        return [s.text for s in ComposerScript().draft(DraftRequest(brief=brief, persona=persona, corpus=passages)).sentences]

    en = draft(Brief(occasion="birthday", audience="family", points=["Come home for dinner"], target_seconds=12), PAST_TALKS_EN)
    assert PAST_TALKS_EN[6] in en and "Come home for dinner." not in en
    letter = "孩子们，过年好！做人要踏实，做事要认真。老房子后面的梅花开了，记得回家吃饭。"
    zh = draft(Brief(occasion="春节", audience="孩子们", language="zh", points=["梅花开了", "回家吃饭"], target_seconds=12), [letter])
    assert zh == ["孩子们，春节快乐！", letter, "祝大家身体健康，万事如意。"]


def test_what_a_short_greeting_leaves_out_is_told_to_reviewers():
    """Cut to a short brief, the draft names each sentence it left out (reviewers can ask for it
    back), in the reader's language too."""
    from review_ui.i18n import in_chinese
    from script.backends.composer import ComposerScript

    points = ["The plum tree bloomed early", "Grandma's soup is still the best", "Come home for dinner on Sunday"]
    brief = Brief(occasion="birthday", audience="family", points=points, target_seconds=5)
    result = ComposerScript().draft(DraftRequest(brief=brief, persona=PersonaStyle(name="Bo", styles=["warm"])))
    said = [s.text for s in result.sentences]
    left_out = [f"{p}." for p in points if f"{p}." not in said]
    assert left_out and len(left_out) < len(points), said
    assert result.notes == [f"left out to keep the talk near 5 s: “{text}”" for text in left_out]
    assert in_chinese(result.notes[0]) == f"为了把讲话控制在约 5 秒内，删去了：“{left_out[0]}”"
    fits = ComposerScript().draft(DraftRequest(brief=brief.model_copy(update={"target_seconds": 60}),
                                               persona=PersonaStyle(name="Bo", styles=["warm"])))
    assert not fits.notes and all(f"{p}." in [s.text for s in fits.sentences] for p in points)


@pytest.mark.slow
def test_the_models_short_greeting_keeps_the_persons_own_words(writer):
    """Cut to a short brief, the model's draft drops its own sentences before the person's passage."""
    persona = PersonaStyle(name="Bo", past_passages=[PAST_TALKS_EN[6]], styles=["warm", "teasing"])
    brief = Brief(occasion="birthday", audience="family", points=["the plum tree bloomed", "come home for dinner"],
                  target_seconds=12)
    draft = [s.text for s in writer.draft(DraftRequest(brief=brief, persona=persona)).sentences]
    assert "Work hard, but go home for dinner." in draft and "Well, the office will still be there tomorrow." in draft, draft
