"""The material verbs of the studio's API: uploads (checked by content before anything is
stored, withdrawn by operators), action tags, footage analysis, voice prompt choices, frames
struck out of the mouth bank."""

from __future__ import annotations

from pathlib import Path

from core.records import new_id
from materials.footage_analysis import analyse_footage, analysis_id
from materials.records import (
    ActionTag,
    BankFrame,
    FootageAnalysis,
    MaterialSet,
    MouthBankChoice,
    PromptPick,
    TranscriptCorrection,
    VoiceChoice,
)
from materials.transcripts import clean_transcript
from media.face_identity import SAME_PERSON_BELOW, face_distance, face_signature
from media.ffmpeg_io import probe
from media.upload_checks import inspect_upload
from persona.records import Persona, Upload, UploadWithdrawal
from persona.uploads import usable_uploads
from video.base_track import FrameSource
from video.contract import FootageClip, VideoRequest
from video.mouth_bank import bank_sheet
from video.sources import bank_drops

ROLES = ("voice", "footage", "photo", "text")


class MaterialOps:
    """Mixed into ``StudioAPI`` (which gives ``settings`` and ``catalog``)."""

    def add_material(self, persona_id: str, role: str, path: Path, note: str = "", actor: str | None = None) -> Upload:
        """Store one file for a persona after checking what it really is (``media.upload_checks``):
        a file that cannot serve ``role`` is refused with what to do; one that is readable but
        useless (a recording with no speech) is stored, flagged and left out of the selection."""

        if role not in ROLES:
            raise ValueError(f"--role must be one of {', '.join(ROLES)}, not {role!r}")
        self.catalog.load(Persona, persona_id)
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"{path} does not exist or is not a file")
        found = inspect_upload(path, role, self.settings.uploads)
        ref = self.catalog.put_media_file(path, found.media_type)
        upload_id = f"upload-{persona_id}-{ref.sha256[:12]}-{role}"
        if self.catalog.exists(Upload, upload_id):
            return self.catalog.load(Upload, upload_id)
        signature = face_signature(path, role) if role in ("photo", "footage") and not found.problem else None
        upload = Upload(id=upload_id, persona_id=persona_id, role=role, asset=ref, note=note, problem=found.problem,
                        duration_s=found.duration_s, face_signature=signature,
                        warnings=self._stranger(persona_id, signature) if signature else [])
        upload = self.catalog.keep(upload, actor or self.settings.operator, "material.added", f"upload/{upload_id}",
                                   persona=persona_id, role=role, sha256=ref.sha256, name=ref.name, flagged=found.problem,
                                   warnings=upload.warnings)
        return upload

    def _stranger(self, persona_id: str, signature: list[float]) -> list[str]:
        """A warning where the face is unlike every face the persona's earlier uploads show."""
        earlier = [u for u in self.usable_uploads(persona_id) if u.face_signature and not u.warnings]
        if not earlier:
            return []
        nearest = min(earlier, key=lambda u: face_distance(u.face_signature, signature))
        distance = face_distance(nearest.face_signature, signature)
        if distance < SAME_PERSON_BELOW:
            return []
        name = self.catalog.load(Persona, persona_id).display_name
        return [f"the face does not look like {name}'s in {nearest.asset.name or nearest.id} (identity distance "
                f"{distance:.2f}; the same person is under {SAME_PERSON_BELOW:.2f}): check it is them, else withdraw it"]

    def persona_warnings(self, persona_id: str) -> list[str]:
        """What the operator should look at in the persona's usable uploads, one line each."""
        return [f"{u.asset.name or u.id}: {w}" for u in self.usable_uploads(persona_id) for w in u.warnings]

    def withdraw_material(self, upload_id: str, reason: str, actor: str | None = None) -> UploadWithdrawal:
        """Take an upload out of use: it stays stored for the audit, nothing selects it again."""
        if not reason.strip():
            raise ValueError("say why the upload is withdrawn (--reason); it is kept in the audit log")
        upload = self.catalog.load(Upload, upload_id)
        withdrawal = UploadWithdrawal(id=upload_id, persona_id=upload.persona_id, reason=reason.strip(),
                                      withdrawn_by=actor or self.settings.operator)
        return self.catalog.keep(withdrawal, withdrawal.withdrawn_by, "material.withdrawn", f"upload/{upload_id}",
                                 persona=upload.persona_id, reason=withdrawal.reason)

    def uploads_of(self, persona_id: str) -> list[tuple[Upload, UploadWithdrawal | None]]:
        """Every upload of the persona, with its withdrawal where there is one (for listing)."""
        withdrawn = {w.id: w for w in self.catalog.find(UploadWithdrawal) if w.persona_id == persona_id}
        return [(u, withdrawn.get(u.id)) for u in sorted((u for u in self.catalog.find(Upload) if u.persona_id == persona_id),
                                                         key=lambda u: (u.role, u.created_at))]

    def tag_action(self, persona_id: str, upload_id: str, start_s: float, end_s: float, label: str,
                   actor: str | None = None) -> ActionTag:
        """Mark a stretch of a footage upload as an action (drinking, laughing...) for the video step."""
        upload = self.catalog.load(Upload, upload_id)
        if upload.persona_id != persona_id or upload.role != "footage":
            raise ValueError(f"{upload_id} is not footage of {persona_id}")

        duration = probe(self.catalog.media_path(upload.asset)).duration_s
        if end_s > duration + 0.05:
            raise ValueError(f"{upload.asset.name or upload_id} lasts {duration:.1f} s; the segment ends at {end_s:.1f} s")
        tag = ActionTag(id=new_id("action"), persona_id=persona_id, source=upload.asset, start_s=round(start_s, 2),
                        end_s=round(end_s, 2), label=label, tagged_by=actor or self.settings.operator)
        self.catalog.save(tag)
        self.catalog.audit(tag.tagged_by, "material.action_tagged", f"action/{tag.id}", persona=persona_id,
                           upload=upload_id, start_s=tag.start_s, end_s=tag.end_s, label=label)
        return tag

    def analyse_footage(self, persona_id: str, upload_id: str | None = None) -> list[tuple[Upload, FootageAnalysis]]:
        """The footage analysis of each of the persona's footage uploads (or of one), made once
        and kept: shots, segments ranked for base footage with the reasons, suggested actions."""

        self.catalog.load(Persona, persona_id)
        uploads = [u for u in usable_uploads(self.catalog, persona_id, "footage") if upload_id is None or u.id == upload_id]
        if not uploads:
            raise ValueError(f"{upload_id or persona_id} has no footage upload; add one with `studio materials add --role footage`")
        return [(u, analyse_footage(self.catalog, u.asset)) for u in uploads]

    def usable_uploads(self, persona_id: str, role: str | None = None) -> list[Upload]:
        """The persona's uploads that are in use: checked, not withdrawn (of one role, when given)."""
        return usable_uploads(self.catalog, persona_id, role)

    def footage_analysis(self, upload: Upload) -> FootageAnalysis | None:
        """The analysis of a footage upload, where it was made (``analyse_footage``)."""
        found = analysis_id(upload.asset)
        return self.catalog.get(FootageAnalysis, found)

    def latest_materials(self, persona_id: str) -> MaterialSet | None:
        """The persona's most recent material selection (prompts, candidates, sound bank)."""
        found = [m for m in self.catalog.find(MaterialSet) if m.persona_id == persona_id]
        return max(found, key=lambda m: m.created_at) if found else None

    def choose_voice_prompts(self, persona_id: str, picks: list[PromptPick], actor: str | None = None) -> VoiceChoice:
        """An operator's own voice prompts for the persona's next productions (replaces the
        automatic choice). Each pick must lie inside one of the persona's voice uploads."""
        self.catalog.load(Persona, persona_id)
        uploads = {u.asset.key: u for u in usable_uploads(self.catalog, persona_id, "voice")}

        for pick in picks:
            upload = uploads.get(pick.source.key)
            if upload is None:
                raise ValueError(f"{pick.source.name or pick.source.key} is not a voice recording of {persona_id}")
            length = probe(self.catalog.media_path(upload.asset)).duration_s
            if pick.start_s + pick.duration_s > length + 0.05:
                raise ValueError(f"{upload.asset.name or upload.id} lasts {length:.1f} s; the pick at {pick.start_s:.1f} s "
                                 f"for {pick.duration_s:.1f} s runs past its end")
        choice = VoiceChoice(id=persona_id, persona_id=persona_id, picks=picks, chosen_by=actor or self.settings.operator)
        self.catalog.save(choice)
        self.catalog.audit(choice.chosen_by, "material.voice_prompts_chosen", f"persona/{persona_id}",
                           picks=[f"{p.source.name or p.source.key}@{p.start_s:.2f}+{p.duration_s:.2f}:{p.style}" for p in picks])
        return choice

    def correct_transcript(self, persona_id: str, prompt_number: int, text: str,
                           actor: str | None = None) -> TranscriptCorrection:
        """What the person really says in prompt ``prompt_number`` (1-based, as ``materials
        prompts`` lists them) of the latest selection; used from the next production on, by
        zero-shot servers and the timbre learning. A later correction replaces it (history kept)."""
        materials = self.latest_materials(persona_id)
        prompts = materials.voice_prompts if materials else []
        if not 1 <= prompt_number <= len(prompts):
            raise ValueError(f"{persona_id} has {len(prompts)} voice prompt(s) in its latest selection; "
                             f"give a number from `studio materials prompts {persona_id}`")
        prompt = prompts[prompt_number - 1]
        cleaned = clean_transcript(text)
        record_id = TranscriptCorrection.id_for(prompt.source, prompt.start_s)
        earlier = self.catalog.get(TranscriptCorrection, record_id)
        correction = TranscriptCorrection(
            id=record_id, persona_id=persona_id, source=prompt.source, start_s=prompt.start_s, duration_s=prompt.duration_s,
            text=cleaned, heard=earlier.heard if earlier else prompt.transcript, corrected_by=actor or self.settings.operator)
        self.catalog.save(correction)
        self.catalog.audit(correction.corrected_by, "material.transcript_corrected", f"persona/{persona_id}",
                           prompt=f"{prompt.source.name or prompt.source.key}@{prompt.start_s:.2f}+{prompt.duration_s:.2f}",
                           before=earlier.text if earlier else prompt.transcript, after=cleaned)
        return correction

    def mouth_bank(self, persona_id: str) -> tuple[list[BankFrame], bytes, str]:
        """The mouth bank the video step would build from the persona's selected footage now: its
        frames (numbered as on the sheet), the sheet as PNG, and why it holds what it holds."""
        materials = self.latest_materials(persona_id)
        base = [s for s in (materials.footage if materials else []) if s.label == "base"]
        if not base:
            raise ValueError(f"{persona_id} has no selected base footage yet (a photo's bank is its one mouth); "
                             "run a production's first step or `studio materials analyse` first")
        sources = {self.catalog.media_path(s.source): s.source for s in base}
        clips = [FootageClip(path=self.catalog.media_path(s.source), start_s=s.start_s, duration_s=s.duration_s,
                             face_box=s.face_box) for s in base]
        drops = bank_drops(self.catalog, persona_id)
        source = FrameSource(VideoRequest(audio_path=Path("unused.wav"), footage=clips, fps=self.settings.video.fps,
                                          max_height=self.settings.video.max_height, bank_drops=drops,
                                          out_path=Path("unused.mp4")), 1.0)
        bank = source.bank
        frames = [BankFrame(source=sources[source.origins[i][0]], time_s=round(source.origins[i][1], 3))
                  for i in bank.report.chosen]
        return frames, bank_sheet(bank), bank.report.summary()

    def drop_bank_frames(self, persona_id: str, frames: list[BankFrame], actor: str | None = None) -> MouthBankChoice:
        """Strike frames out of the persona's mouth bank for its next productions (added to those
        struck out before); an empty list brings every frame back."""
        self.catalog.load(Persona, persona_id)
        choice = self.catalog.get(MouthBankChoice, persona_id)
        dropped = (choice.dropped if choice and frames else []) + list(frames)
        saved = MouthBankChoice(id=persona_id, persona_id=persona_id, dropped=dropped, chosen_by=actor or self.settings.operator)
        self.catalog.save(saved)
        self.catalog.audit(saved.chosen_by, "material.mouth_bank_frames_dropped" if frames else "material.mouth_bank_reset",
                           f"persona/{persona_id}", frames=[f"{f.source.name or f.source.key}@{f.time_s:.2f}" for f in frames])
        return saved

    def clear_voice_choice(self, persona_id: str, actor: str | None = None) -> None:
        """Back to the automatic selection for the persona's next productions."""
        if self.catalog.exists(VoiceChoice, persona_id):
            self.catalog.save(VoiceChoice(id=persona_id, persona_id=persona_id, picks=[], chosen_by=actor or self.settings.operator))
            self.catalog.audit(actor or self.settings.operator, "material.voice_choice_cleared", f"persona/{persona_id}")
