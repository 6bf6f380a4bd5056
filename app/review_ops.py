"""The review verbs of the studio's API: what waits for review, decisions, comments, history.

A decision is recorded in the studio's own records (``review.gates``) before the run is
resumed; the run reads it back from there, so whatever reaches Prefect's (unauthenticated)
resume endpoint decides nothing. The last approval of a gate, or a request for changes,
resumes the run; a resume that fails is retried by the next look at the inbox."""

from __future__ import annotations

import time

from core.records import AuditEvent, new_id
from delivery.subtitles import subtitle_cues, to_vtt
from media.ffmpeg_io import frame_jpeg
from persona.consent import forbidden_in_sentences
from production.consent import consent_for
from production.records import Production
from review import gates
from review.gates import DecidedAlready, ReviewError, gate_key_of, paused_at
from review.records import ReviewComment, ReviewDecision, ReviewRequest
from runs.cancellations import apply_pending_cancellations
from script.markup import parse_markup
from video.records import VideoTake
from voice.records import VoiceTake


class ReviewOps:
    """Mixed into ``StudioAPI`` (which gives ``settings``, ``catalog``, ``run_state`` and ``script``)."""

    # ---------------------------------------------------------------- reviews
    def review(self, request_id: str) -> ReviewRequest:
        """A gate as its records stand now: approvals so far, and its outcome once decided."""
        return gates.view(self.catalog, self.catalog.load(ReviewRequest, request_id))

    def _paused_runs(self) -> list:
        return self.runs.paused()

    def pending_reviews(self) -> list[ReviewRequest]:
        """Gates that are waiting now: paused flow runs in Prefect, joined with their requests.
        A gate already decided whose run still waits (its resume was lost) is resumed here;
        a production stopped while Prefect was down has its run cancelled now."""
        self.apply_pending_cancellations()
        by_run = {p.flow_run_id: p for p in self.catalog.find(Production) if p.flow_run_id}
        out = []
        for run in self._paused_runs():
            key = run.state.state_details.pause_key if run.state else None
            production = by_run.get(str(run.id))
            if not key or production is None or production.status in ("stopped", "delivered", "failed"):
                continue
            request_id = ReviewRequest.id_for(production.id, gate_key_of(key))
            if not self.catalog.exists(ReviewRequest, request_id):
                continue
            request = self.review(request_id)
            if request.flow_run_id != str(run.id):
                continue
            if request.status == "waiting" and request.missing_roles:
                out.append(request)
            else:
                self._resume(request)
        return sorted(out, key=lambda r: r.created_at)

    def submit_decision(self, request_id: str, decision: ReviewDecision, recorded_by: str | None = None,
                        reason: str | None = None) -> ReviewRequest:
        """One reviewer's decision at a gate, recorded by ``recorded_by`` (the reviewer
        themselves through their invitation; an operator only on their behalf, with a reason).
        An approval is kept and the run stays suspended until every required role has
        approved; a request for changes (with the version's anchored comments) decides the
        gate at once and voids the approvals so far."""
        recorded_by = (recorded_by or decision.reviewer).strip()
        reason = (reason or "").strip() or None
        if recorded_by != decision.reviewer and reason is None:
            raise ReviewError(f"say why {recorded_by} records this decision for {decision.reviewer} (--reason)")
        request = self.review(request_id)
        if request.status != "waiting":
            raise DecidedAlready(f"review {request_id} was decided already ({request.status.replace('_', ' ')})")
        if decision.reviewer not in request.roles.get(decision.role, []):
            named = "; ".join(f"{role}: {', '.join(names)}" for role, names in request.roles.items())
            raise ReviewError(f"{decision.reviewer} is not a {decision.role} reviewer of this {request.gate} gate "
                              f"({named})")
        production = self.catalog.load(Production, request.production_id)
        consent = consent_for(self.catalog, production)
        if decision.decision == "approve":
            script = self.script(production.id, request.script_version)
            hits = forbidden_in_sentences(consent, [s.text for s in script.sentences])
            if hits:
                raise ReviewError(f"script v{script.version} mentions {', '.join(hits)}, which the consent forbids; "
                                  "request changes instead")
        if decision.edited_script is not None:
            hits = forbidden_in_sentences(consent, [s.text for s in parse_markup(decision.edited_script)])
            if hits:
                raise ReviewError(f"the edit mentions {', '.join(hits)}, which the consent forbids")
        state = self.run_state(request.flow_run_id)
        if not paused_at(state, request.gate_key):
            raise ReviewError(f"the production is not waiting at {request.gate_key} (its run is {state.name})")
        if decision.decision == "approve":
            request = gates.record_approval(self.catalog, request, decision, recorded_by, reason)
            if request.missing_roles:
                return request  # the run stays suspended, holding no worker
        else:
            anchored = self.change_instructions(request.id)
            decision = decision.model_copy(update={
                "comments": decision.comments + [c for c in anchored if c not in decision.comments]})
            gates.record_changes(self.catalog, request, decision, recorded_by, reason)
        self._resume(request)
        return self.review(request.id)

    def _resume(self, request: ReviewRequest, tries: int = 5) -> None:
        """Resume the run waiting at ``request``'s gate; a run that has left it already is fine."""
        problem = None
        for attempt in range(tries):
            try:
                self.runs.resume(request.flow_run_id)
            except Exception as exc:  # another decision resumed it first, or the server was busy
                problem = exc
            if not paused_at(self.run_state(request.flow_run_id), request.gate_key):
                return
            time.sleep(0.5 * (attempt + 1))
        raise ReviewError(f"the decision is recorded, but Prefect did not resume the run ({problem or 'it stayed paused'}); "
                          "it is resumed the next time the review list is read")

    def take_subtitles(self, request: ReviewRequest) -> bytes | None:
        """WebVTT of the take a video gate shows: the script's sentences at the times the voice said them."""
        if not request.video_take_id:
            return None
        voice = self.catalog.load(VoiceTake, self.catalog.load(VideoTake, request.video_take_id).voice_take_id)
        script = self.script(request.production_id, request.script_version)
        cues = subtitle_cues([s.text for s in script.sentences], voice.sentence_timings, script.language)
        return to_vtt(cues).encode()

    def apply_pending_cancellations(self) -> list[str]:
        """Cancel the runs of productions stopped while Prefect could not be told (revocation
        with the server down); returns the productions dealt with."""
        return apply_pending_cancellations(self.runs, self.catalog, self.settings.operator)

    # --------------------------------------------------------------- comments
    def add_comment(self, review_id: str, author: str, role: str, text: str, sentence: int | None = None,
                    start_s: float | None = None, end_s: float | None = None,
                    reply_to: str | None = None) -> ReviewComment:
        """A comment on the version a review shows, anchored to a sentence (1-based) or a time
        range of its take (the frame at the start is kept with it), or a reply to a comment."""
        request = self.catalog.load(ReviewRequest, review_id)
        if role != "operator" and author not in request.roles.get(role, []):
            raise ReviewError(f"{author} is not a {role} reviewer of this {request.gate} gate")
        if not text.strip():
            raise ValueError("a comment needs some text")
        script = self.script(request.production_id, request.script_version)
        if sentence is not None and not 1 <= sentence <= len(script.sentences):
            raise ValueError(f"script v{script.version} has sentences 1-{len(script.sentences)}, not {sentence}")
        frame = None
        if start_s is not None:
            if request.video_take_id is None:
                raise ValueError("this review is of the script; anchor the comment to a sentence instead of a time")

            video = self.catalog.load(VideoTake, request.video_take_id)
            if end_s is None or end_s > video.duration_s + 0.05:
                raise ValueError(f"the take lasts {video.duration_s:.1f} s; give a range inside it")
            frame = self.catalog.put_media(frame_jpeg(self.catalog.media_path(video.video), start_s), "image/jpeg",
                                           name=f"{request.id}-{start_s:.1f}s.jpg")
        if reply_to is not None:
            parent = self.catalog.load(ReviewComment, reply_to)
            if parent.production_id != request.production_id:
                raise ValueError("a reply must answer a comment on the same production")
        comment = ReviewComment(id=new_id("comment"), production_id=request.production_id, review_id=request.id,
                                script_version=request.script_version, author=author, role=role, text=text.strip(),
                                sentence=sentence, start_s=start_s, end_s=end_s, frame=frame, reply_to=reply_to)
        self.catalog.save(comment)
        self.catalog.audit(author, "comment.replied" if reply_to else "comment.added", f"comment/{comment.id}",
                           review=request.id, production=request.production_id, anchor=comment.anchor,
                           reply_to=reply_to, text=comment.text[:500])
        return comment

    def comments(self, review_id: str) -> list[ReviewComment]:
        return sorted((c for c in self.catalog.find(ReviewComment) if c.review_id == review_id), key=lambda c: c.created_at)

    def change_instructions(self, review_id: str) -> list[str]:
        """The version's comments (replies aside) as a request for changes carries them."""
        return [c.as_instruction() for c in self.comments(review_id) if c.reply_to is None]

    def history(self, production_id: str) -> list[AuditEvent]:
        """Everything the audit log holds about one production: who did what, and when."""
        own = (f"production/{production_id}", f"review/{production_id}-", f"script/{production_id}-",
               f"voice/{production_id}-", f"video/{production_id}-", f"delivery/{production_id}-")
        return [e for e in self.catalog.audit_events()
                if e.subject.startswith(own) or e.details.get("production") == production_id]
