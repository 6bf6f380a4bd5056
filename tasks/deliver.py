"""The task that delivers an approved take: labelled, watermarked, signed, registered."""

from __future__ import annotations

from prefect import task

from delivery.credentials import disclosure
from delivery.manifests import keep_manifests
from delivery.records import Delivery
from delivery.render import notice_text, render_delivery
from delivery.subtitles import Captions, to_srt
from delivery.trust.aigc_metadata import make_label
from delivery.trust.keys import c2pa_credentials, watermark_key
from delivery.watermarks import register_watermark
from persona.identity import identity_code
from persona.records import Persona
from production.records import Production
from review.gates import recorded_approvals
from review.notify import notify
from script.records import ScriptVersion
from tasks.context import PERSISTED, allowed, scratch, studio
from video.records import VideoTake
from voice.records import VoiceTake


@task(**PERSISTED)
def deliver(production: Production, script: ScriptVersion, video: VideoTake) -> Delivery:
    """Only this script version and take, with every required role's recorded approval of
    them (``review.gates.recorded_approvals``), is delivered."""
    settings, catalog = studio()
    consent = allowed(catalog, production, script)
    delivery_id = f"{production.id}-delivery-v{script.version:03d}-t{video.take}"
    if catalog.exists(Delivery, delivery_id):
        return catalog.load(Delivery, delivery_id)
    approved = recorded_approvals(catalog, production, script.version, video.id)
    persona = catalog.load(Persona, production.persona_id)
    key = watermark_key(settings)
    identity = identity_code(key, persona.id)
    mark = register_watermark(catalog, production, consent, script.version, delivery_id, identity)
    credentials = c2pa_credentials(settings)
    aigc = make_label(credentials.key_pem, settings.trust.content_producer, f"{identity}/{delivery_id}",
                      settings.trust.content_propagator)
    # anyone holding a file reads its manifest: who approved is said by role, names stay in the records
    provenance = {"delivery_id": delivery_id, "production_id": production.id, "persona": persona.display_name,
                  "digital_human_id": identity, "consent_id": consent.id,
                  "script_version": script.version, "watermark_id": mark.id}
    voice = catalog.load(VoiceTake, video.voice_take_id)
    made_with = disclosure({"script": script.backend, "voice": voice.backend, "video": video.backend},
                           approved, script.version, video.take)
    captions = Captions(sentences=[s.text for s in script.sentences], timings=voice.sentence_timings,
                        language=script.language, notice=notice_text(settings.delivery, script.language))
    files = render_delivery(
        catalog.media_path(video.video), scratch(settings), delivery_id, delivery=settings.delivery,
        trust=settings.trust, key=key, content_id=mark.content_id, language=script.language,
        title=f"{persona.display_name}: {production.brief.occasion}", delivery_id=delivery_id, aigc_label=aigc,
        credentials=credentials, provenance=provenance, captions=captions, disclosure=made_with)
    manifests = keep_manifests(catalog, delivery_id, files.signed, files.marks)
    srt = catalog.put_media(to_srt(files.cues).encode(), "application/x-subrip", name=f"{delivery_id}.srt")
    vtt = catalog.put_media_file(files.signed["vtt"].path, "text/vtt", name=f"{delivery_id}.vtt")  # signed
    allowed(catalog, production)  # consent may have been revoked while rendering
    delivery = Delivery(
        id=delivery_id, production_id=production.id, persona_id=persona.id, consent_id=consent.id,
        script_version=script.version, video_take_id=video.id,
        video=catalog.put_media_file(files.video, "video/mp4", name=files.video.name),
        audio_mp3=catalog.put_media_file(files.mp3, "audio/mpeg", name=files.mp3.name),
        audio_wav=catalog.put_media_file(files.wav, "audio/wav", name=files.wav.name), subtitles_srt=srt, subtitles_vtt=vtt,
        subtitles_burned=files.subtitles_burned,
        duration_s=round(files.duration_s, 3), spoken_notice_s=files.notice_s, label_text=settings.delivery.label_text,
        approvals=approved, watermark_id=mark.id, aigc=aigc, c2pa_signed=True, video_psnr_db=files.video_psnr_db,
        audio_snr_db=files.audio_snr_db, loudness_lufs=files.loudness_lufs, manifests=manifests)
    catalog.save(delivery)
    catalog.save(production.model_copy(update={"status": "delivered"}))
    catalog.audit("studio", "delivery.created", f"delivery/{delivery.id}", sha256=delivery.video.sha256,
                  consent=consent.id, script_version=script.version, approvals=[a.reviewer for a in delivery.approvals],
                  watermark=mark.id, video_psnr_db=files.video_psnr_db, audio_snr_db=files.audio_snr_db, loudness_lufs=files.loudness_lufs)
    notify(settings.notify, catalog, "delivery.ready", f"delivery/{delivery.id}",
           f"{persona.display_name}: {production.brief.occasion} is delivered ({delivery.duration_s:.0f} s)",
           {"production_id": production.id, "delivery_id": delivery.id, "sha256": delivery.video.sha256})
    return delivery
