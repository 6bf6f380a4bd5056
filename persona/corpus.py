"""A persona's corpus (what they said: text uploads, and transcripts of their recordings and
footage) and the style profile derived from it: catchphrases, filler words and particles, typical
sentence length, recurring humour devices, forms of address, regional words. Operators edit the profile; their edits
survive re-derivation."""

from __future__ import annotations

import re
from collections import Counter

from core.settings import SpeechCheckSettings
from media.asr import transcribe
from media.ffmpeg_io import load_audio
from media.upload_checks import decode_text
from persona.records import CorpusPassage, HumourDevice, Persona, PersonaCorpus, StyleProfile, Upload
from persona.retrieval import _EN_STOP, words
from persona.uploads import usable_uploads
from storage import Catalog

MAX_TEXT_BYTES = 5_000_000
_SENTENCE_END = re.compile(r"(?<=[.!?。！？…])[\"'”’」）)]*\s*")

FILLERS = {
    "en": ["you know", "i mean", "well", "actually", "basically", "kind of", "sort of", "right", "okay", "um", "uh",
           "like i said", "anyway", "let me tell you"],
    "zh": ["那个", "就是说", "就是", "然后", "对吧", "是吧", "嗯", "这个", "其实", "反正", "怎么说呢", "你知道", "说白了",
           "啊", "呢", "吧", "嘛", "哈", "呀", "啦"],
}
# a one-character particle counts where it ends a clause (吧 in 酒吧 is not the particle)
_PARTICLE_END = r"(?=[，。！？,.!?、；;…～~\s]|$)"
# words that give a speaker away as from a region, where the corpus has them
REGIONAL = {
    "北方话": ["咱们", "咱", "甭", "得嘞", "倍儿", "忒", "姥姥", "姥爷", "溜达", "唠嗑", "整", "啥", "咋", "贼好", "老铁",
            "嘚瑟", "磨叽", "埋汰", "唠", "那旮旯", "这旮旯", "瞅", "嗯呐", "得劲"],
    "吴语": ["阿拉", "侬", "伐", "晓得", "老好", "蛮好", "覅", "嗲", "作死"],
    "西南官话": ["巴适", "安逸", "要得", "晓得", "雄起", "摆龙门阵", "啥子", "娃儿", "耍"],
    "粤语": ["咩", "嘅", "唔", "佢", "冇", "靓仔", "饮茶", "搞掂", "係"],
}
_REGIONAL = {w for ws in REGIONAL.values() for w in ws}
_REGIONAL_BOUND = set("甭咋啥侬嗲冇佢嘅咩")  # never begin a standard word, so 甭管 is 甭
ADDRESS = {
    "en": re.compile(r"\b((?:my )?(?:dear|dearest) [a-z]+(?: and [a-z]+)?|ladies and gentlemen|(?:my )?(?:friends|colleagues|"
                     r"everyone|everybody|folks|kids|children|team|family)(?=[,!]))", re.I),
    "zh": re.compile(r"(亲爱的[\u4e00-\u9fff]{1,6}?(?=[，,！!。]|们)|各位[\u4e00-\u9fff]{0,6}?(?=[，,！!。]|们)|同志们|同事们|朋友们|"
                     r"孩子们|兄弟们|家人们|大家好|老铁们)"),
}
HUMOUR = {  # device: (English cue, Chinese cue)
    "film or sketch reference": (r"\b(movie|film|cinema|sketch|comedy|scene|actor|hollywood)\b", r"电影|小品|相声|段子|片子|导演|台词"),
    "self-mockery": (r"\bI(?:'m| am) (?:not|no|just|only) (?:a |an |the )?\w+|\bmy (?:cooking|singing|memory|age)\b|\bme, of all people\b",
                     r"我这个人|我这人|我不是什么|老头子|我这把年纪|自嘲"),
    "rhetorical question": (r"\?\s*(?:No|Yes|Of course|Exactly|Well)\b|\bwho\b[^.?!]*\?", r"[？?](?:不是|当然|没错|对)"),
    "exaggeration": (r"\b(?:a (?:thousand|million) times|never ever|every single|the whole world|forever)\b",
                     r"一万遍|一万次|一辈子|全世界|天天|从来都"),
    "teasing": (r"\b(?:blame|don't tell|between you and me|I know, I know|I promised|I never do)\b", r"又来了|别告诉|说好的|老规矩|怪"),
    "laughter": (r"\b(?:ha(?:ha)+|hehe|laugh(?:s|ed|ing)?)\b|\[laugh\]", r"哈哈|呵呵|嘿嘿|[(（\[]笑[)）\]]|大笑|笑死"),
    "saying or proverb": (r"\b(?:as (?:they|my \w+) (?:say|said|used to say)|the old saying|an old \w+ saying)\b",
                          r"俗话说|老话说|古人说|常言道|老话讲"),
}


def split_sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(text) if s and s.strip()]


# a sentence's typical length when a persona has no corpus to measure it from
DEFAULT_SENTENCE_LENGTH = {"en": 14.0, "zh": 24.0}


def typical_sentence_length(profile: StyleProfile | None, language: str) -> float:
    return profile.sentence_length if profile else DEFAULT_SENTENCE_LENGTH[language]


def sentence_length(sentence: str, language: str) -> int:
    """Words in an English sentence, characters in a Chinese one (punctuation not counted)."""
    return len(re.findall(r"[\u4e00-\u9fff]", sentence)) if language == "zh" else len(re.findall(r"[A-Za-z0-9']+", sentence))


def passages_from_text(text: str, upload_id: str, max_chars: int = 400) -> list[CorpusPassage]:
    """Paragraphs (a line each, or blank-line separated), long ones cut into runs of sentences."""
    out = []
    for para in re.split(r"\n\s*\n|\n", text):
        para = " ".join(para.split())
        if not para or para.startswith("#"):
            continue
        chunk = ""
        for s in split_sentences(para) or [para]:
            if chunk and len(chunk) + len(s) > max_chars:
                out.append(CorpusPassage(text=chunk, upload_id=upload_id, origin="text"))
                chunk = ""
            chunk = chunk + s if re.search(r"[\u3000-\u303f\uff00-\uffef\u4e00-\u9fff]$", chunk) else f"{chunk} {s}".strip()
        if chunk:
            out.append(CorpusPassage(text=chunk, upload_id=upload_id, origin="text"))
    return out


def _read_text(catalog: Catalog, upload: Upload) -> str:
    if upload.asset.size > MAX_TEXT_BYTES:
        raise ValueError(f"text upload {upload.id} is {upload.asset.size / 1e6:.1f} MB; split it into files under "
                         f"{MAX_TEXT_BYTES / 1e6:.0f} MB")
    return decode_text(catalog.read_media(upload.asset), f"text upload {upload.id} ({upload.asset.name})")


def plausible_transcript(text: str, language: str) -> bool:
    """Whether a recogniser's transcript reads as the person's words: not the pinyin-and-digits
    (``iao4v4i1``) or stray Latin Whisper writes for speech it could not follow."""
    if re.search(r"[A-Za-z]+[0-9]|[0-9][A-Za-z]+[0-9]", text):
        return False
    letters = re.findall(r"[\u4e00-\u9fff]|[A-Za-z]", text)
    if not letters:
        return False
    chinese = sum("\u4e00" <= ch <= "\u9fff" for ch in letters) / len(letters)
    return chinese >= 0.6 if language == "zh" else chinese <= 0.4


def _transcribe(catalog: Catalog, upload: Upload, language: str, check: SpeechCheckSettings) -> list[CorpusPassage]:
    try:
        audio = load_audio(catalog.media_path(upload.asset), 16000)
    except Exception as exc:  # footage without a sound track, or a file ffmpeg cannot read
        raise ValueError(f"upload {upload.id}: no sound to transcribe ({exc})") from exc
    if audio.size == 0:
        return []
    out = []
    step = 16000 * 30
    for start in range(0, audio.size, step):
        heard = transcribe(audio[start : start + step], 16000, check, language=language)
        if heard.text.strip() and plausible_transcript(heard.text, language):  # else the recogniser did not follow it
            out.append(CorpusPassage(text=heard.text.strip(), upload_id=upload.id, origin="transcript",
                                     start_s=round(start / 16000, 2)))
    return out


def build_corpus(catalog: Catalog, persona_id: str, check: SpeechCheckSettings | None = None) -> PersonaCorpus:
    """The persona's corpus from their uploads. Text uploads are always read; voice and footage
    recordings are transcribed when ``check`` gives a speech model. Uploads whose passages the
    stored corpus already holds are not read or transcribed again."""
    persona = catalog.load(Persona, persona_id)
    language = persona.languages[0]
    old = catalog.get(PersonaCorpus, persona_id)
    passages: list[CorpusPassage] = []
    sources: dict[str, str] = {}
    problems = []
    for upload in usable_uploads(catalog, persona_id):
        if upload.role == "photo" or (upload.role != "text" and check is None):
            continue
        if old and old.sources.get(upload.id) == upload.asset.sha256:
            passages += [p for p in old.passages if p.upload_id == upload.id]
        else:
            try:
                passages += (passages_from_text(_read_text(catalog, upload), upload.id) if upload.role == "text"
                             else _transcribe(catalog, upload, language, check))
            except ValueError as exc:
                problems.append(str(exc))
                continue
        sources[upload.id] = upload.asset.sha256
    if problems and not passages:
        raise ValueError("; ".join(problems))
    corpus = PersonaCorpus(id=persona_id, persona_id=persona_id, language=language, passages=passages, sources=sources)
    if old is None or old.model_dump(exclude={"created_at"}) != corpus.model_dump(exclude={"created_at"}):
        catalog.save(corpus)
        catalog.audit("studio", "corpus.built", f"corpus/{persona_id}", passages=len(passages),
                      sources=len(sources), problems=problems)
    return corpus


def _ngrams(tokens: list[str], n: int) -> list[tuple[str, ...]]:
    return [tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]


def _units(phrase: str, language: str) -> list[str]:
    return list(phrase) if language == "zh" else phrase.split()


def find_catchphrases(texts: list[str], language: str, limit: int = 8) -> list[str]:
    """Phrases the person repeats: word n-grams (3-6 words; 2-4 jieba words for Chinese) said in
    at least two passages, longest first, none inside another that was kept."""

    counts: Counter[tuple[str, ...]] = Counter()
    # each distinct sentence once: a line found both in a text and in a recording's transcript
    # is one saying, not a repeated one
    unique = list(dict.fromkeys(" ".join(s.lower().split()).strip(" .!?。！？") for t in texts for s in split_sentences(t)))
    for text in unique:
        seen: set[tuple[str, ...]] = set()
        for clause in re.split(r"[,.;:!?，。！？；：、…\"“”()（）]+", text):  # a phrase never runs over a comma
            if language == "zh":
                import jieba

                jieba.setLogLevel(60)
                tokens = [w for w in jieba.lcut(clause) if re.match(r"[\u4e00-\u9fffA-Za-z0-9]", w)]
                sizes = range(2, 5)
            else:
                tokens = re.findall(r"[a-z0-9']+", clause.lower())
                sizes = range(3, 7)
            seen |= {g for n in sizes for g in _ngrams(tokens, n)
                     if language == "zh" or (g[-1] not in _EN_STOP and g[0] not in ("and", "but", "or", "so", "because"))}
        counts.update(seen)
    joiner = "" if language == "zh" else " "
    candidates = []
    for gram, n in counts.items():
        phrase = joiner.join(gram)
        if n < 2 or not words(phrase, language) or (language == "zh" and len(phrase) < 4):
            continue
        candidates.append((n * len(gram), n, phrase))
    kept: list[str] = []
    for _, _, phrase in sorted(candidates, key=lambda c: (-c[0], -len(c[2]))):
        if any(phrase in k or k in phrase for k in kept) or any(
                len(set(_units(phrase, language)) & set(_units(k, language))) >= 0.6 * len(_units(phrase, language))
                for k in kept):
            continue
        kept.append(phrase)
        if len(kept) == limit:
            break
    return kept


def derive_style_profile(corpus: PersonaCorpus) -> StyleProfile:
    language, texts = corpus.language, corpus.texts
    sentences = [s for t in texts for s in split_sentences(t)]
    lengths = [sentence_length(s, language) for s in sentences if sentence_length(s, language)]
    joined = "\n".join(texts)
    low = joined.lower()
    fillers = []
    # a particle inside a filler of its own (吧 in 对吧) is that filler's
    bare = re.sub("|".join(re.escape(f) for f in FILLERS["zh"] if len(f) > 1), "，", low) if language == "zh" else low
    for f in FILLERS[language]:
        if language == "zh":
            pattern = re.escape(f) + (_PARTICLE_END if len(f) == 1 else "")
        else:
            pattern = rf"(?:^|[\s,;.!?]){re.escape(f)}(?=[\s,;.!?])"
        n = len(re.findall(pattern, bare if len(f) == 1 else low, re.M))
        if n >= 2 and (language == "en" or n >= max(2, len(sentences) // 20)):
            fillers.append((n, f))
    address = Counter(m.group(0).strip().lower() if language == "en" else m.group(0) for m in ADDRESS[language].finditer(joined))
    humour = []
    for name, (en, zh) in HUMOUR.items():
        found = [s for s in sentences if re.search(zh if language == "zh" else en, s, 0 if language == "zh" else re.I)]
        if found:
            humour.append((len(found), HumourDevice(name=name, example=found[0][:160])))
    return StyleProfile(
        id=corpus.persona_id, persona_id=corpus.persona_id, language=language,
        catchphrases=find_catchphrases(texts, language),
        fillers=[f for _, f in sorted(fillers, reverse=True)][:6],
        sentence_length=round(sum(lengths) / len(lengths), 1) if lengths else DEFAULT_SENTENCE_LENGTH[language],
        humour=[h for _, h in sorted(humour, key=lambda x: -x[0])],
        forms_of_address=[a for a, _ in address.most_common(5)], regional_words=regional_words(joined, language),
        passages=len(texts))


def regional_words(text: str, language: str, limit: int = 6) -> list[str]:
    """Dialect words (``REGIONAL``) the person uses, most used first; jieba's words, so 咱 is not
    found inside 咱们 twice and 整 only where it is a word of its own."""
    if language != "zh":
        return []
    import jieba

    jieba.setLogLevel(60)
    counts = Counter(w if w in _REGIONAL else w[0] for w in jieba.lcut(text)
                     if w in _REGIONAL or (w[:1] in _REGIONAL_BOUND))
    return [w for w, _ in counts.most_common(limit)]


def refresh_style_profile(catalog: Catalog, corpus: PersonaCorpus) -> StyleProfile:
    """Derive the profile anew from the corpus, keeping every field an operator edited."""
    derived = derive_style_profile(corpus)
    old = catalog.get(StyleProfile, corpus.persona_id)
    if old is not None:
        derived = derived.model_copy(update={f: getattr(old, f) for f in old.edited_fields}
                                     | {"edited_fields": old.edited_fields, "edited_by": old.edited_by})
        if old.model_dump(exclude={"created_at"}) == derived.model_dump(exclude={"created_at"}):
            return old
    catalog.save(derived)
    catalog.audit("studio", "style.derived", f"style/{corpus.persona_id}", passages=derived.passages,
                  kept_edits=derived.edited_fields)
    return derived


def edit_style_profile(catalog: Catalog, persona_id: str, editor: str, **changes) -> StyleProfile:
    """An operator's edit: the named fields take the given values and are kept from then on."""
    unknown = sorted(set(changes) - set(StyleProfile.EDITABLE))
    if unknown:
        raise ValueError(f"a style profile has no editable field {', '.join(unknown)}; edit {', '.join(StyleProfile.EDITABLE)}")
    if not catalog.exists(StyleProfile, persona_id):
        refresh_style_profile(catalog, build_corpus(catalog, persona_id))
    old = catalog.load(StyleProfile, persona_id)
    data = old.model_dump() | changes
    data["edited_fields"] = sorted(set(old.edited_fields) | set(changes))
    data["edited_by"] = editor
    profile = StyleProfile.model_validate(data)
    catalog.save(profile)
    catalog.audit(editor, "style.edited", f"style/{persona_id}", fields=sorted(changes))
    return profile
