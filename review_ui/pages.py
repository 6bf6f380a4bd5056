"""Portal pages. Each page is a function; errors from Prefect or the store are shown to the
person, never raised at them."""

from __future__ import annotations

import streamlit as st

from studio.access import AccessError, Identity, redeem, sign_in_operator, still_valid
from studio.api import StudioAPI, script_diff
from studio.models import ReviewDecision, ReviewRequest, VideoTake, VoiceTake
from studio.settings import get_settings


@st.cache_resource
def get_api() -> StudioAPI:
    return StudioAPI(get_settings())


# ------------------------------------------------------------------ access


def redeem_invitation_in_url() -> None:
    """Exchange ``?invite=TOKEN`` for a session and take the token out of the address bar."""
    token = st.query_params.get("invite")
    if not token:
        return
    try:
        st.session_state["identity"] = redeem(get_api().catalog, token)
        st.session_state.pop("access_error", None)
    except AccessError as exc:
        st.session_state.pop("identity", None)
        st.session_state["access_error"] = str(exc)
    del st.query_params["invite"]


def current_identity() -> Identity | None:
    """The signed-in person, re-checked against the catalog on every run of every page."""
    identity = st.session_state.get("identity")
    if identity is None:
        return None
    try:
        return still_valid(get_api().catalog, identity)
    except AccessError as exc:
        st.session_state.pop("identity", None)
        st.session_state["access_error"] = str(exc)
        return None


def require_identity() -> Identity:
    identity = current_identity()
    if identity is None:
        st.error("Please sign in, or open the invitation link you were sent.")
        st.stop()
    return identity


def sign_out() -> None:
    st.session_state.pop("identity", None)


def sign_in_page() -> None:
    st.title("Digital-Human Studio")
    if "access_error" in st.session_state:
        st.error(st.session_state["access_error"])
    st.write("Reviewers and family members: open the invitation link you were sent. Operators sign in here.")
    with st.form("sign_in"):
        name = st.text_input("Operator name", key="operator_name")
        password = st.text_input("Password", type="password", key="operator_password")
        submitted = st.form_submit_button("Sign in", type="primary")
    if submitted:
        try:
            st.session_state["identity"] = sign_in_operator(get_api().settings, name.strip(), password)
            st.session_state.pop("access_error", None)
            st.rerun()
        except AccessError as exc:
            st.error(str(exc))


def _pending(api: StudioAPI) -> list[ReviewRequest] | None:
    try:
        return api.pending_reviews()
    except Exception as exc:  # Prefect down, network, store
        st.error(f"Could not read the productions waiting for review from Prefect: {exc}")
        return None


def _visible(identity: Identity, request: ReviewRequest) -> bool:
    if identity.is_operator:
        return True
    return (request.production_id == identity.production_id and request.role == identity.role
            and identity.name in request.reviewers)


def reviews_page() -> None:
    identity = require_identity()
    st.title("Waiting for your review")
    api = get_api()
    wanted = st.query_params.get("review")
    if wanted and not identity.is_operator:
        production = wanted.rsplit("-script-", 1)[0].rsplit("-video-", 1)[0]
        if not identity.may_see(production):
            st.error("You were not invited to this production.")
            st.stop()
    pending = _pending(api)
    if pending is None:
        return
    pending = [r for r in pending if _visible(identity, r)]
    if not pending:
        st.info("Nothing is waiting for your review right now.")
        return
    labels = {r.id: f"{r.production_id} · {r.gate} review, round {r.round} · script v{r.script_version} · "
                    f"{r.role}: {', '.join(r.reviewers)}" for r in pending}
    chosen = st.selectbox("Production", list(labels), format_func=labels.get, key="review_pick")
    request = next(r for r in pending if r.id == chosen)
    show_version(api, request)
    decision_form(api, request, identity)


def show_version(api: StudioAPI, request: ReviewRequest) -> None:
    script = api.script(request.production_id, request.script_version)
    st.subheader(f"Script v{script.version}")
    if script.comments:
        st.caption("This version answers: " + " · ".join(script.comments))
    for i, s in enumerate(script.sentences, 1):
        cues = " ".join(f"[{c.kind}]" for c in s.cues_before + s.cues_after)
        st.markdown(f"**{i}.** {s.text}  \n<small>style: {s.style} {cues}</small>", unsafe_allow_html=True)
    if script.version > 1:
        earlier = list(range(script.version - 1, 0, -1))
        default = request.previous_script_version or script.version - 1
        against = st.selectbox("Compare with", earlier, index=earlier.index(default) if default in earlier else 0,
                               format_func=lambda v: f"v{v}", key=f"compare-{request.id}")
        previous = api.script(request.production_id, against)
        with st.expander(f"Changes since v{previous.version}", expanded=True):
            if st.toggle("Side by side", key=f"side-{request.id}"):
                left, right = st.columns(2)
                left.markdown(f"**v{previous.version}**\n\n" + "\n\n".join(s.text for s in previous.sentences))
                right.markdown(f"**v{script.version}**\n\n" + "\n\n".join(s.text for s in script.sentences))
            else:
                st.code(script_diff(previous, script), language="diff")
    if request.video_take_id:
        video = api.catalog.load(VideoTake, request.video_take_id)
        voice = api.catalog.load(VoiceTake, video.voice_take_id)
        st.subheader("Voice and video")
        st.audio(api.catalog.read_media(voice.audio), format="audio/wav")
        st.video(api.catalog.read_media(video.video), format="video/mp4")
        st.caption(f"{video.duration_s:.1f} s, {video.width}x{video.height}, voice: {voice.backend}, video: {video.backend}")


def decision_form(api: StudioAPI, request: ReviewRequest, identity: Identity) -> None:
    st.subheader("Your decision")
    if identity.is_operator:
        st.info("Operators follow reviews here; the named reviewers decide through their invitation links.")
        return
    with st.form(f"decide-{request.id}"):
        reviewer = identity.name
        st.markdown(f"Deciding as **{reviewer}** ({request.role})")
        comment = st.text_area("Comments (required to request changes; one per line)", key="comment")
        redo = "script"
        if request.gate == "video":
            redo = st.selectbox("If changes are needed, go back to", ["video", "voice", "script"], key="redo")
        approve = st.form_submit_button("Approve", type="primary", key="approve")
        changes = st.form_submit_button("Request changes", key="request_changes")
    if not (approve or changes):
        return
    comments = [c.strip() for c in comment.splitlines() if c.strip()]
    if current_identity() != identity or not _visible(identity, request):  # re-checked at the moment of deciding
        st.error("Your invitation does not cover this review (any more).")
        return
    try:
        decision = ReviewDecision(decision="approve" if approve else "request_changes", reviewer=reviewer,
                                  role=request.role, comments=comments, redo=None if approve else redo)
        api.submit_decision(request.id, decision)
    except Exception as exc:
        st.error(f"Your decision was not sent: {exc}")
        return
    st.success("Approved. The production continues." if approve else "Sent back with your comments.")


def productions_page() -> None:
    if not require_identity().is_operator:
        st.stop()
    st.title("Productions")
    try:
        rows = get_api().status()
    except Exception as exc:
        st.error(f"Could not read productions: {exc}")
        return
    if not rows:
        st.info("No productions yet.")
        return
    ui = get_settings().prefect.ui_url
    for row in rows:
        link = f" · [run in Prefect]({ui}/runs/flow-run/{row['flow_run']})" if row["flow_run"] else ""
        st.markdown(f"**{row['production']}** · {row['status']} · {row['scripts']} script version(s) · {row['created']}{link}")


def verify_page() -> None:
    if not require_identity().is_operator:
        st.stop()
    import tempfile
    from pathlib import Path

    st.title("Verify a video")
    upload = st.file_uploader("A video or sound file the studio may have made",
                              type=["mp4", "mov", "mkv", "webm", "m4a", "mp3", "wav", "aac", "ogg"])
    if upload is None:
        return
    from tasks.verify import verify_file

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / Path(upload.name).name
        path.write_bytes(upload.getvalue())
        api = get_api()
        report = verify_file(api.catalog, api.settings, path)
    verdicts = {"authorised": "made by this studio with valid consent and approval",
                "revoked": "made by this studio, but the consent or the delivery has since been revoked",
                "unknown_watermark": "carries a studio watermark whose id this studio's registry does not hold",
                "no_watermark": "no studio watermark found", "not_a_media_file": "not a readable video or sound file"}
    (st.success if report.verdict == "authorised" else st.warning)(
        f"Verdict: **{report.verdict}**, {verdicts[report.verdict]}")
    if report.persona:
        st.markdown(f"**Persona:** {report.persona} · **consent:** {report.consent_id} · **script:** "
                    f"v{report.script_version} · **approved by:** {', '.join(report.approvers)}")
    st.markdown(f"**C2PA:** {report.c2pa} · **GB 45438 AIGC metadata:** {'present' if report.aigc else 'absent'} · "
                f"**watermark (picture / sound):** {report.watermark_video or '-'} / {report.watermark_audio or '-'}")
    for line in report.details:
        st.markdown(f"- {line}")
    with st.expander("Full report"):
        st.json(report.model_dump(mode="json"))


def templates_page() -> None:
    """Approved templates and their schedules; operators pause and resume them here."""
    if not require_identity().is_operator:
        st.stop()
    from studio.models import Template

    st.title("Templates and schedules")
    api = get_api()
    templates = api.catalog.find(Template)
    if not templates:
        st.info("No templates yet. Save a delivered production with `studio template save`.")
        return
    for t in templates:
        with st.container(border=True):
            st.markdown(f"**{t.name}** · `{t.id}` · {t.use} · {t.delivery.replace('_', ' ')} · "
                        f"placeholders: {', '.join(t.placeholders) or 'none'} · approved by {', '.join(t.approved_by)}")
            if not t.schedule_cron:
                st.caption("No schedule (`studio template schedule` adds one).")
                continue
            state = "active" if t.schedule_active else "paused"
            st.caption(f"Runs at `{t.schedule_cron}` ({t.schedule_timezone}), {state}, with "
                       + ", ".join(f"{k}={v}" for k, v in t.schedule_values.items()))
            label, active = ("Pause", False) if t.schedule_active else ("Resume", True)
            if st.button(label, key=f"schedule-{t.id}"):
                try:
                    api.schedule_template(t.id, active=active, actor=require_identity().name)
                    st.success(f"{t.name}: schedule {'resumed' if active else 'paused'}")
                    st.rerun()
                except Exception as exc:  # consent gone, Prefect down
                    st.error(f"The schedule was not changed: {exc}")
