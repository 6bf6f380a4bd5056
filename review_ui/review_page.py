"""The review page: what a gate shows (script, take, speech check, approvals), comments, the
decision form and the history."""

from __future__ import annotations

import streamlit as st

from app.api import StudioAPI, script_diff
from core.errors import one_line
from production.records import Production
from review.access import Identity
from review.records import ReviewComment, ReviewDecision, ReviewRequest
from review_ui.deliveries import delivered_section
from review_ui.i18n import explain, fixed, label, said, t
from review_ui.safe import md
from review_ui.session import current_identity, get_api, require_identity
from review_ui.take_view import take_player
from script.markup import parse_markup
from script.records import ScriptVersion
from video.records import VideoTake
from voice.records import VoiceTake


def _pending(api: StudioAPI) -> list[ReviewRequest] | None:
    try:
        return api.pending_reviews()
    except Exception as exc:  # Prefect down, network, store
        st.error(t("Could not read the productions waiting for review from Prefect: {error}", error=one_line(exc)))
        return None


def _visible(identity: Identity, request: ReviewRequest) -> bool:
    if identity.is_operator:
        return True
    return (request.production_id == identity.production_id
            and identity.name in request.roles.get(identity.role or "", []))


def reviews_page() -> None:
    identity = require_identity()
    st.title(t("Waiting for your review"))
    if identity.production_id:
        notice = get_api().withdrawal_notice(identity.production_id)
        if notice:  # a family member withdrew: the production was stopped and its reviews closed
            st.error(t("This production was stopped: {notice}", notice=explain(notice)))
    if "decided" in st.session_state:  # what the last decision did (made by ``t``: escaped)
        st.success(st.session_state.pop("decided"))
    api = get_api()
    wanted = st.query_params.get("review")
    if wanted and not identity.is_operator:
        production = wanted.rsplit("-script-", 1)[0].rsplit("-video-", 1)[0]
        if not identity.may_see(production):
            st.error(t("You were not invited to this production."))
            st.stop()
    pending = _pending(api)
    if pending is None:
        return
    pending = [r for r in pending if _visible(identity, r)]
    if not pending:
        if not identity.is_operator and identity.production_id:
            if api.delivery_in_force(identity.production_id) is None:
                st.info(t("Nothing is waiting for your review right now."))
            delivered_section(api, identity.production_id, identity.name)
            show_history(api, identity.production_id)
        else:
            st.info(t("Nothing is waiting for your review right now."))
        return
    labels = {r.id: f"{api.production_title(r.production_id)} · {t('{gate} review, round {round}', gate=t(r.gate), round=r.round)} · "
                    f"{t('Script v{version}', version=r.script_version)}" for r in pending}
    chosen = st.selectbox(t("Production"), list(labels), format_func=labels.get, key="review_pick")
    request = next(r for r in pending if r.id == chosen)
    script = show_version(api, request)
    show_approvals(request)
    comments_section(api, request, script, identity)
    decision_form(api, request, identity, script)
    show_history(api, request.production_id)


def show_version(api: StudioAPI, request: ReviewRequest) -> ScriptVersion:
    script = api.script(request.production_id, request.script_version)
    st.subheader(t("Script v{version}", version=script.version))
    if script.comments:
        said = t("This version answers: ") if script.version > 1 else t("Notes on this draft: ")
        st.caption(said + " · ".join(md(explain(c)) for c in script.comments))
    for f in script.flags:  # found by the studio's checks before anyone reviewed it
        where = t("sentence {n}", n=f.sentence) if f.sentence else t("the script")
        st.warning(t("The studio's checks flagged {where}: {why} (“{found}”)", where=where, why=explain(f.why), found=f.text))
    for w in api.script_warnings(script):
        if w not in {f.why for f in script.flags}:
            st.warning(explain(w))
    for c in script.changes:
        done = (t("changed sentences {numbers}", numbers=", ".join(map(str, c.sentences))) if c.sentences else t("took sentences out"))
        st.caption(f"{md(c.asked_by or '?')}: “{md(explain(c.comment))}” → " + (done if c.applied else t("not applied; an editor is needed")))
    for i, s in enumerate(script.sentences, 1):
        st.markdown(f"**{i}.** {md(s.text)}")
        st.caption(f"{t('style')}: {md(t(s.style))} {md(' '.join(f'[{label(c.kind)}]' for c in s.cues_before + s.cues_after))}")
    if script.version > 1:
        earlier = list(range(script.version - 1, 0, -1))
        default = request.previous_script_version or script.version - 1
        against = st.selectbox(t("Compare with"), earlier, index=earlier.index(default) if default in earlier else 0,
                               format_func=lambda v: f"v{v}", key=f"compare-{request.id}")
        previous = api.script(request.production_id, against)
        with st.expander(t("Changes since v{version}", version=previous.version), expanded=True):
            if st.toggle(t("Side by side"), key=f"side-{request.id}"):
                left, right = st.columns(2)
                left.markdown(f"**v{previous.version}**\n\n" + "\n\n".join(md(s.text) for s in previous.sentences))
                right.markdown(f"**v{script.version}**\n\n" + "\n\n".join(md(s.text) for s in script.sentences))
            else:
                st.code(script_diff(previous, script), language="diff")
    if request.video_take_id:
        video = api.catalog.load(VideoTake, request.video_take_id)
        voice = api.catalog.load(VoiceTake, video.voice_take_id)
        st.subheader(t("Voice and video"))
        st.audio(api.catalog.read_media(voice.audio), format="audio/wav")
        take_player(api, request, video, voice, script)
        st.caption(t("{seconds} s, {width}x{height}, voice: {voice}, video: {video}", seconds=f"{video.duration_s:.1f}",
                     width=video.width, height=video.height, voice=voice.backend, video=video.backend))
        persona = api.catalog.load(Production, request.production_id).persona_id
        for w in api.take_warnings(video) + api.persona_warnings(persona):
            st.warning(explain(w))
        show_quality(video)
        show_speech_check(voice, script)
    return script


def show_quality(video: VideoTake) -> None:
    """The take's quality report: what fell short first, then every figure with its limit."""
    if video.quality is None:
        return
    st.markdown(f"**{t('Quality report')}**")
    for flag in video.quality.flags:
        st.warning(t("Check this before approving: {flag}", flag=explain(flag)))
    if video.quality.remade:
        st.info(t("The first render fell short, so the studio made it once more with safer choices."))
    if not video.quality.flags:
        st.success(t("Every figure is within its limit."))
    st.table([{t("Measure"): t(m.name), t("Value"): "-" if m.value is None else f"{m.value:g} {explain(m.unit)}".strip(),
               t("Limit"): "-" if m.limit is None else f"{'≥' if m.at_least else '≤'} {m.limit:g}",
               "": "✓" if m.ok else "✗"} for m in video.quality.measures])
    st.caption(t("Measured on {seconds} s of the take against the person's own footage.",
                 seconds=f"{video.quality.seconds_measured:g}"))


def show_speech_check(voice: VoiceTake, script: ScriptVersion) -> None:
    """The voice self-check: flagged sentences first, then the figure for every sentence."""
    if not voice.checks:
        return
    metric = voice.checks[0].metric
    st.markdown(f"**{t('Speech check')}**")
    for c in voice.flagged:
        st.warning(t("Sentence {n} may not say what the script says ({metric} {error}): heard “{heard}”. Listen to it before approving.",
                     n=c.index + 1, metric=c.metric, error=f"{c.error:.0%}", heard=c.heard))
    if not voice.flagged:
        st.success(t("Every sentence says what the script says."))
    st.caption(t("Each sentence was transcribed by speech recognition and compared with the script ({metric}: share of words missing, added or changed); each sentence's figure is beside it in the list above.",
                 metric=metric))


def show_approvals(request: ReviewRequest) -> None:
    st.subheader(t("Approvals"))
    given = {a.role: a for a in request.approvals}
    for role, names in request.roles.items():
        if role in given:
            a = given[role]
            st.markdown(":material/check_circle: " + t("{role}: approved by {name} on {at}", role=t(role), name=a.reviewer,
                                                       at=f"{a.at:%Y-%m-%d %H:%M} UTC"))
        else:
            st.markdown(":material/hourglass_empty: " + t("{role}: waiting for {names}", role=t(role), names=", ".join(names)))


COMMENT_HELP = ("The studio understands, about the sentence you chose: “say: …” (say this instead), "
                "“replace \"a\" with \"b\"”, “add: …” (a new sentence after it), “remove”, “pause” (a pause after it), "
                "“slower” or “faster”, and wishes such as “warmer” or “shorter”, which the writer rewrites. "
                "Anything else reaches the writer and the operator as you wrote it.")
DECISION_HELP = ("Approve records your role's approval; the production goes on once every role has approved. "
                 "Request changes sends this version back with the comments above and any notes here; the studio "
                 "makes a new version and everyone reviews it again.")


def _comment_role(identity: Identity) -> str:
    return "operator" if identity.is_operator else identity.role


def comments_section(api: StudioAPI, request: ReviewRequest, script: ScriptVersion, identity: Identity) -> None:
    """Comments on this version, anchored to a sentence or a time range (with its frame), and replies."""
    st.subheader(t("Comments"))
    comments = api.comments(request.id)
    replies: dict[str, list[ReviewComment]] = {}
    for c in comments:
        if c.reply_to:
            replies.setdefault(c.reply_to, []).append(c)
    top = [c for c in comments if not c.reply_to]
    if not top:
        st.caption(t("No comments on this version yet."))
    for c in top:
        with st.container(border=True):
            anchor = ""
            if c.sentence is not None:
                quoted = script.sentences[c.sentence - 1].text if c.sentence <= len(script.sentences) else ""
                anchor = f"{t('Sentence')} {c.sentence}: *“{md(quoted)}”*"
            elif c.start_s is not None:
                anchor = md(f"{c.anchor} s")
            st.markdown(f"**{md(c.author)}** ({t(c.role)}) · {c.created_at:%Y-%m-%d %H:%M}" + (f" · {anchor}" if anchor else ""))
            if c.frame is not None:
                st.image(api.catalog.read_media(c.frame), width=320, caption=md(c.anchor))
            st.text(c.text)
            for r in replies.get(c.id, []):
                st.markdown(f"> **{md(r.author)}** ({t(r.role)}) · {r.created_at:%Y-%m-%d %H:%M}  \n> {md(r.text)}")
            with st.form(f"reply-{c.id}", clear_on_submit=True, border=False):
                text = st.text_input(t("Your reply"), key=f"reply-text-{c.id}")
                if st.form_submit_button(t("Send reply"), key=f"reply-send-{c.id}") and text.strip():
                    _add_comment(api, request, identity, text, reply_to=c.id)
    with st.form(f"comment-{request.id}", clear_on_submit=True):
        st.markdown(f"**{t('Add a comment')}**")
        kinds = ["sentence", "whole"] + (["time"] if request.video_take_id else [])
        names = {"sentence": t("A sentence"), "whole": t("The whole version"), "time": t("A time range")}
        kind = st.radio(t("About"), kinds, format_func=names.get, horizontal=True, key="comment_kind")
        sentence = st.selectbox(t("Sentence"), range(1, len(script.sentences) + 1), key="comment_sentence",
                                format_func=lambda i: f"{i}. {script.sentences[i - 1].text[:80]}")
        span = None
        if request.video_take_id:
            duration = api.catalog.load(VideoTake, request.video_take_id).duration_s
            span = st.slider(t("Time range (seconds)"), 0.0, float(round(duration, 1)), (0.0, min(2.0, duration)),
                             step=0.1, key="comment_span")
        text = st.text_area(t("Comment"), key="comment_text")
        st.caption(t(COMMENT_HELP))
        if st.form_submit_button(t("Add comment"), key="comment_add") and text.strip():
            _add_comment(api, request, identity, text, sentence=sentence if kind == "sentence" else None,
                         span=span if kind == "time" else None)


def _still_covers(identity: Identity, request: ReviewRequest) -> bool:
    """Re-checked at the moment of acting: the invitation may have ended since the page was drawn."""
    if current_identity() != identity or not _visible(identity, request):
        st.error(t("Your invitation does not cover this review (any more)."))
        return False
    return True


def _add_comment(api: StudioAPI, request: ReviewRequest, identity: Identity, text: str, sentence: int | None = None,
                 span: tuple[float, float] | None = None, reply_to: str | None = None) -> None:
    if not _still_covers(identity, request):
        return
    try:
        api.add_comment(request.id, identity.name, _comment_role(identity), text, sentence=sentence,
                        start_s=span[0] if span else None, end_s=span[1] if span else None, reply_to=reply_to)
    except Exception as exc:
        st.error(said(exc))
        return
    st.toast(t("Comment added."))
    st.rerun()


def decision_form(api: StudioAPI, request: ReviewRequest, identity: Identity, script: ScriptVersion) -> None:
    st.subheader(t("Your decision"))
    if identity.is_operator:
        st.info(t("Operators follow reviews here; the named reviewers decide through their invitation links."))
        return
    with st.form(f"decide-{request.id}"):
        st.markdown(t("Deciding as **{name}** ({role})", name=identity.name, role=t(identity.role)))
        st.caption(t(DECISION_HELP))
        comment = st.text_area(t("Notes with your decision (optional; one per line)"), key="comment")
        redo = "script"
        if request.gate == "video":
            redo = st.selectbox(t("If changes are needed, go back to"), ["voice", "video", "script"], format_func=fixed(t),
                                key="redo")
        approve = st.form_submit_button(t("Approve"), type="primary", key="approve")
        changes = st.form_submit_button(t("Request changes"), key="request_changes")
    edited = None
    if request.gate == "script":
        with st.expander(t("Edit the script yourself")):
            with st.form(f"edit-{request.id}"):
                st.caption(t("One sentence per line; {style} at the start, cues like [pause 0.8s] [laugh] [drink]."))
                markup = st.text_area(t("Script v{version}", version=script.version), script.markup, height=240,
                                      key="edit_markup")
                if st.form_submit_button(t("Send my edit"), key="send_edit"):
                    edited = markup
    if not (approve or changes or edited):
        return
    comments = [c.strip() for c in comment.splitlines() if c.strip()]
    if changes and not comments:  # the version's anchored comments say what to change
        comments = api.change_instructions(request.id)
    if not _still_covers(identity, request):
        return
    try:
        if edited is not None:
            parse_markup(edited)
            if edited.strip() == script.markup.strip():
                raise ValueError("the edit changes nothing; approve instead, or change the text")
        decision = ReviewDecision(decision="approve" if approve else "request_changes", reviewer=identity.name,
                                  role=identity.role, comments=comments, redo=None if approve else redo,
                                  edited_script=edited)
        after = api.submit_decision(request.id, decision)
    except Exception as exc:
        st.error(t("Your decision was not sent: {error}", error=one_line(exc)))
        return
    if edited is not None:
        done = t("Your edit was sent; it becomes the next version, and everyone reviews it again.")
    elif approve and after.missing_roles:
        done = t("Your approval is recorded. Still waiting for: {roles}.", roles=", ".join(t(r) for r in after.missing_roles))
    else:
        done = t("Approved. The production continues.") if approve else t("Sent back with your comments.")
    st.session_state["decided"] = done  # shown above the page drawn again, approvals and all
    st.rerun()


def show_history(api: StudioAPI, production_id: str) -> None:
    """Who decided what, and when, from the audit log, in the reader's words."""
    with st.expander(t("History")):
        rows = []
        for e in api.history(production_id):
            d = e.details
            detail = "; ".join(f"{t(k)}: {_detail(k, v)}" for k, v in d.items() if k in HISTORY_DETAILS and v not in (None, [], ""))
            rows.append({t("When"): f"{e.at:%Y-%m-%d %H:%M:%S}", t("Who"): t(e.actor) if e.actor == "operator" else e.actor,
                         t("What"): label(e.action), t("Details"): detail})
        st.dataframe(rows, hide_index=True, use_container_width=True)


HISTORY_DETAILS = ("role", "comments", "approved_by", "voided", "still_needed", "anchor", "text", "version", "reason",
                   "script_version", "files")


def _detail(key: str, value) -> str:
    if key in ("role", "still_needed", "voided"):
        values = value if isinstance(value, list) else [value]
        return ", ".join(t(str(v)) for v in values)
    if key in ("comments", "anchor"):
        values = value if isinstance(value, list) else [value]
        return " / ".join(explain(str(v)) for v in values)
    return ", ".join(map(str, value)) if isinstance(value, list) else str(value)
