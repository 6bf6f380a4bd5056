"""What the operator and the reviewers should know before approving, one line each: a script
much shorter or longer than the brief asks, a fallback drafter or renderer, a picture made
smaller than the footage, a voice left in the base timbre, a face in the uploads that is not
the persona's. The portal shows them on the production and at its review gates."""

from __future__ import annotations

from production.records import Production
from script.records import ScriptVersion
from video.records import VideoTake
from voice.records import VoiceTake


class WarningOps:
    """Mixed into ``StudioAPI`` (``self.settings``, ``self.catalog``, ``self.persona_warnings``)."""

    def script_warnings(self, script: ScriptVersion) -> list[str]:
        configured = self.settings.llm.backend
        out = [f.why for f in script.flags if f.sentence is None]
        first = self.catalog.get(ScriptVersion, ScriptVersion.id_for(script.production_id, 1)) or script
        if configured != "composer" and "composer" in (script.backend, first.backend):
            out.append("drafted by the composer from the brief and the person's own passages, not by the language model "
                       f"({configured}): read it closely")
        return out

    def take_warnings(self, video: VideoTake) -> list[str]:
        out = []
        v = self.settings.video
        if video.backend != v.backend:
            out.append(f"rendered by {video.backend}, a fallback for the configured {v.backend}")
        elif video.backend == "reenact":
            out.append("rendered offline by re-enacting the person's own footage (no lip-sync server): "
                       "watch the mouth closely")
        size = video.notes.source_size
        if size and (video.width < size[0] - 1 or video.height < size[1] - 1):
            out.append(f"made at {video.width}x{video.height}, smaller than the footage's {size[0]}x{size[1]} "
                       f"(STUDIO_VIDEO__MAX_HEIGHT is {v.max_height})")
        voice = self.catalog.get(VoiceTake, video.voice_take_id)
        if voice is not None:
            if voice.backend != self.settings.voice.backend:
                out.append(f"spoken by {voice.backend}, a fallback for the configured {self.settings.voice.backend}")
            elif voice.backend == "kokoro" and not voice.timbre_id:
                out.append("spoken in the base voice: the persona's timbre could not be learned from the prompts")
        return out

    def production_warnings(self, production_id: str) -> list[str]:
        """Everything above for the production's latest script and take, and its persona's uploads."""
        production = self.catalog.load(Production, production_id)
        scripts = self.catalog.find(ScriptVersion, f"{production_id}-v")
        out = self.script_warnings(max(scripts, key=lambda s: s.version)) if scripts else []
        takes = [t for t in self.catalog.find(VideoTake, f"{production_id}-v") if t.production_id == production_id]
        if takes:
            out += self.take_warnings(max(takes, key=lambda t: t.created_at))
        return out + self.persona_warnings(production.persona_id)
