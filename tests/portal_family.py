"""A Chinese family's Spring Festival greeting from a late father, as the portal shows it: a
deceased persona with his daughter's consent, his recordings, footage and letters, a production
at its video gate (script v2 answering a Chinese comment, a take with its quality report and
speech check, comments), a delivered production, and a yearly template on a schedule."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from app.api import StudioAPI
from core.records import AssetRef
from delivery.records import Delivery
from materials.records import FootageSegment, MaterialSet
from media.ffmpeg_io import frame_jpeg
from production.records import Template
from review.records import ReviewRequest
from script.records import ScriptChange, ScriptFlag, ScriptVersion
from script.sentences import Brief, Sentence
from video.records import QualityMeasure, TakeQuality, VideoTake
from voice.records import SentenceCheck, SentenceTiming, VoiceTake

FATHER, DAUGHTER = "王建国", "王丽"
SENTENCES = ["孩子们，过年好！", "今年老房子后面的梅花开了。", "记得回家吃饭。"]


@dataclass
class Family:
    api: StudioAPI
    persona_id: str
    production_id: str
    video_review: str
    delivered_id: str
    data: set[str]  # people's own Latin-script words on the pages (the operator's sign-in name)


def _takes(api: StudioAPI, production_id: str, shared_data: Path) -> VideoTake:
    voice = VoiceTake(id=f"{production_id}-v002-voice-t1", production_id=production_id, script_version=2,
                      audio=api.catalog.put_media_file(shared_data / "speech" / "f5_ref_zh.wav", "audio/wav"),
                      duration_s=6.0, sample_rate=24000, backend="kokoro",
                      sentence_timings=[SentenceTiming(index=i, start_s=2.0 * i, end_s=2.0 * i + 1.8) for i in range(3)],
                      checks=[SentenceCheck(index=0, heard="孩子们过年好", metric="CER", error=0.0),
                              SentenceCheck(index=1, heard="今年老房子后面的梅花开了", metric="CER", error=0.0),
                              SentenceCheck(index=2, heard="记得回家吃", metric="CER", error=0.2, attempts=2, flagged=True)])
    quality = TakeQuality(measures=[QualityMeasure(name="lip sync", value=0.71, limit=0.5),
                                    QualityMeasure(name="mouth sharpness", value=0.72, limit=0.8, unit="x the footage's")],
                          flags=["mouth sharpness 0.72 is below 0.80: the mouth is softer than in the footage"],
                          remade=True, seconds_measured=6.0)
    video = VideoTake(id=f"{production_id}-v002-video-t1", production_id=production_id, script_version=2,
                      voice_take_id=voice.id, duration_s=11.8, width=512, height=512, fps=25, backend="reenact",
                      video=api.catalog.put_media_file(shared_data / "footage" / "lp_d3.mp4", "video/mp4"), quality=quality)
    api.catalog.save(voice)
    api.catalog.save(video)
    return video


def chinese_family(api: StudioAPI, tmp_path: Path, shared_data: Path) -> Family:
    evidence = tmp_path / "授权书.txt"
    evidence.write_text("本人王丽同意为父亲王建国制作新年问候视频。", encoding="utf-8")
    persona = api.create_persona(FATHER, ["zh"], deceased=True, description="退休教师，喜欢梅花。", actor="ops")
    consent = api.add_consent(persona.id, DAUGHTER, "next_of_kin", ["greeting"], [evidence], languages=["zh"],
                              actor="ops")
    letters = tmp_path / "家书.txt"
    letters.write_text("孩子们，过年好！\n做人要踏实，做事要认真。\n", encoding="utf-8")
    api.add_material(persona.id, "text", letters, actor="ops")
    voice = api.add_material(persona.id, "voice", shared_data / "speech" / "f5_ref_zh.wav", actor="ops")
    footage = api.add_material(persona.id, "footage", shared_data / "footage" / "lp_d3.mp4", actor="ops")
    stranger = tmp_path / "someone_else.jpg"
    stranger.write_bytes(frame_jpeg(shared_data / "footage" / "musetalk_sun.mp4", 3.0))
    api.add_material(persona.id, "photo", stranger, actor="ops")  # not him: the pages say so
    api.analyse_footage(persona.id, footage.id)
    still = api.catalog.put_media(frame_jpeg(shared_data / "footage" / "lp_d3.mp4", 1.0), "image/jpeg", name="still.jpg")
    from materials.voice_prompts import select_voice_prompts

    selection = select_voice_prompts(api.catalog, [voice.asset], tmp_path)
    segment = FootageSegment(source=footage.asset, start_s=0, duration_s=11.8, face_ratio=1, steadiness=1,
                             sharpness=100, face_box=(130, 164, 309, 310), still=still, score=1,
                             why="steady frontal face, even light", label="base")
    brief = Brief(occasion="春节", audience="家人", points=["梅花开了", "回家吃饭"], language="zh", target_seconds=30)
    production = api.create_production(persona.id, "greeting", brief, ["张秘书"], [DAUGHTER])
    api.catalog.save(MaterialSet(id=f"{production.id}-materials", persona_id=persona.id, voice_prompts=selection.prompts,
                                 footage=[segment], median_f0_hz=selection_f0(selection), sound_bank=selection.sound_bank,
                                 prompt_candidates=selection.candidates))
    v1 = ScriptVersion(id=ScriptVersion.id_for(production.id, 1), production_id=production.id, version=1, language="zh",
                       backend="composer", sentences=[Sentence(text="家人们，新年好！"), Sentence(text=SENTENCES[1]),
                                                      Sentence(text=SENTENCES[2], style="warm")])
    v2 = ScriptVersion(id=ScriptVersion.id_for(production.id, 2), production_id=production.id, version=2, language="zh",
                       backend="llm:llamacpp", based_on=1, requested_by=DAUGHTER,
                       comments=["[sentence 1] say: 孩子们，过年好！", "the model (smollm2-135m) does not write zh; composed from "
                                 "the brief and the persona's own passages instead (set llm.backend to a model that does)"],
                       sentences=[Sentence(text=SENTENCES[0]), Sentence(text=SENTENCES[1]),
                                  Sentence(text=SENTENCES[2], style="warm")],
                       changes=[ScriptChange(comment="[sentence 1] say: 孩子们，过年好！", asked_by=DAUGHTER, sentences=[1],
                                             how="rule")],
                       flags=[ScriptFlag(kind="unmade_claim", sentence=2, text="梅花", why="a claim not in the brief or the corpus"),
                              ScriptFlag(kind="length", text="7 s",
                                         why="about 7 s when spoken, -77% against the 30 s the brief asks for")])
    api.catalog.save(v1)
    api.catalog.save(v2)
    video = _takes(api, production.id, shared_data)
    request = ReviewRequest(id=ReviewRequest.id_for(production.id, "video-1"), production_id=production.id,
                            flow_run_id="00000000-0000-0000-0000-000000000000", gate="video", round=1,
                            gate_key="video-1", roles={"stakeholder": ["张秘书"], "family": [DAUGHTER]}, script_version=2,
                            previous_script_version=1, video_take_id=video.id)
    api.catalog.save(request)
    api.add_comment(request.id, DAUGHTER, "family", "第3句说慢一点", sentence=3)

    delivered = api.create_production(persona.id, "greeting", brief, ["张秘书"], [DAUGHTER])
    api.catalog.save(Delivery(id=f"{delivered.id}-delivery-v001-t1", production_id=delivered.id, persona_id=persona.id,
                              consent_id=consent.id, script_version=1, video_take_id="v", video=video.video,
                              duration_s=11.8, label_text="AI生成", approvals=[]))
    api.catalog.save(Template(id=f"tpl-{delivered.id}", name="父亲的新年问候", persona_id=persona.id, use="greeting",
                              language="zh", source_production_id=delivered.id, source_script_version=1,
                              sentences=[Sentence(text="{称呼}，过年好！")], placeholders={"称呼": "孩子们"}, occasion="春节",
                              audience="家人", family_reviewers=[DAUGHTER], approved_by=[DAUGHTER],
                              schedule_cron="0 9 1 2 *", schedule_active=True, schedule_values={"称呼": "孩子们"}))
    return Family(api=api, persona_id=persona.id, production_id=production.id, video_review=request.id,
                  delivered_id=delivered.id, data={"ops"})


def selection_f0(selection) -> float:
    return float(selection.prompts[0].median_f0_hz or 160.0) if selection.prompts else 160.0


__all__ = ["AssetRef", "Family", "chinese_family"]
