"""The portal's two languages. Code writes English; ``t`` returns the Chinese text when the
person reads Chinese (their invitation's language, or the sidebar switch). A string missing
here stays English, so a new label never breaks the page."""

from __future__ import annotations

import streamlit as st

from review_ui.safe import md

LANGUAGES = {"en": "English", "zh": "中文"}

ZH: dict[str, str] = {
    # navigation and access
    "Sign in": "登录",
    "Sign out": "退出",
    "Waiting for review": "待审阅",
    "Your review": "您的审阅",
    "Personas and consent": "人物与授权",
    "Materials": "素材",
    "Productions": "制作",
    "Templates": "模板",
    "Verify a file": "核验文件",
    "Subtitles": "字幕",
    # the take's quality report
    "Quality report": "质量报告",
    "Check this before approving: {flag}": "批准前请检查：{flag}",
    "The first render fell short, so the studio made it once more with safer choices.": "第一次生成未达标，工作室已用更稳妥的方式重新生成了一次。",
    "Every figure is within its limit.": "各项指标均在限值内。",
    "Measure": "指标",
    "Value": "数值",
    "Limit": "限值",
    "Measured on {seconds} s of the take against the person's own footage.": "基于本条视频中 {seconds} 秒的画面，与本人原始素材对比测得。",
    "lip sync": "口型同步",
    "identity": "人脸相似度",
    "mouth sharpness": "嘴部清晰度",
    "seam": "拼接边缘",
    "join jump": "衔接跳动",
    "largest change": "最大画面突变",
    "eyes closed": "闭眼比例",
    "speech level": "语音电平",
    "speaker similarity": "声音相似度",
    "speech check": "语音核对",
    "Language": "语言",
    "Signed in as **{name}** ({role})": "当前身份：**{name}**（{role}）",
    "operator": "运营人员",
    "stakeholder": "相关负责人",
    "family": "家属",
    "Reviewers and family members: open the invitation link you were sent. Operators sign in here.":
        "审阅人和家属：请打开发给您的邀请链接。运营人员请在此登录。",
    "Operator name": "运营人员名称",
    "Password": "密码",
    "Sign in with single sign-on": "使用单点登录",
    "Please sign in, or open the invitation link you were sent.": "请登录，或打开发给您的邀请链接。",
    "You were not invited to this production.": "您未受邀参与此制作。",
    # reviews
    "Waiting for your review": "等待您的审阅",
    "Nothing is waiting for your review right now.": "目前没有需要您审阅的内容。",
    "The finished video": "成片",
    "Download {name}": "下载 {name}",
    "Marked as AI-made in the picture, the sound and the file's credentials; {seconds} s, script v{version}.":
        "画面、声音和文件凭证中均标明由人工智能生成；时长 {seconds} 秒，文稿第 {version} 版。",
    "Production": "制作",
    "{gate} review, round {round}": "{gate}审阅，第 {round} 轮",
    "script": "文稿",
    "video": "视频",
    "voice": "声音",
    "Script v{version}": "文稿第 {version} 版",
    "This version answers: ": "本版回应了：",
    "sentence {n}": "第 {n} 句",
    "the script": "文稿",
    "The studio's checks flagged {where}: {why} (“{found}”)": "工作室的自动检查标记了{where}：{why}（“{found}”）",
    "changed sentences {numbers}": "改动了第 {numbers} 句",
    "took sentences out": "删去了句子",
    "not applied; an editor is needed": "未能自动修改，需要人工编辑",
    "style": "风格",
    "Compare with": "对比版本",
    "Changes since v{version}": "自第 {version} 版以来的修改",
    "Side by side": "并排对比",
    "Voice and video": "声音与视频",
    "Speech check": "语音自检",
    "Each sentence was transcribed by speech recognition and compared with the script ({metric}: share of words missing, added or changed).":
        "每句话都经语音识别转写并与稿件比对（{metric}：漏读、多读或读错的比例）。",
    "Sentence {n} may not say what the script says ({metric} {error}): heard “{heard}”. Listen to it before approving.":
        "第 {n} 句可能与稿件不符（{metric} {error}）：识别为“{heard}”。批准前请先听一下。",
    "Every sentence says what the script says.": "每句话都与稿件一致。",
    "Approvals": "审批情况",
    "{role}: approved by {name} on {at}": "{role}：{name} 已于 {at} 批准",
    "{role}: waiting for {names}": "{role}：等待 {names}",
    "Comments": "评论",
    "No comments on this version yet.": "此版本暂无评论。",
    "Add a comment": "添加评论",
    "About": "针对",
    "The whole version": "整个版本",
    "A sentence": "某一句",
    "A time range": "某一时间段",
    "Sentence": "句子",
    "Time range (seconds)": "时间段（秒）",
    "Comment": "评论内容",
    "Add comment": "提交评论",
    "Comment added.": "评论已添加。",
    "Reply": "回复",
    "Your reply": "您的回复",
    "Send reply": "发送回复",
    "Your decision": "您的决定",
    "Deciding as **{name}** ({role})": "以 **{name}**（{role}）身份决定",
    "Comments (required to request changes; one per line)": "意见（要求修改时必填，每行一条）",
    "If changes are needed, go back to": "如需修改，退回到",
    "Approve": "批准",
    "Request changes": "要求修改",
    "Approved. The production continues.": "已批准，制作继续进行。",
    "Your approval is recorded. Still waiting for: {roles}.": "您的批准已记录。仍在等待：{roles}。",
    "Sent back with your comments.": "已连同您的意见退回修改。",
    "Your decision was not sent: {error}": "您的决定未能提交：{error}",
    "Your invitation does not cover this review (any more).": "您的邀请（已）不包括此审阅。",
    "Edit the script yourself": "亲自修改文稿",
    "One sentence per line; {style} at the start, cues like [pause 0.8s] [laugh] [drink].":
        "每行一句；行首可写 {风格}，提示如 [pause 0.8s] [laugh] [drink]。",
    "Send my edit": "提交我的修改",
    "Your edit was sent; it becomes the next version, and everyone reviews it again.":
        "您的修改已提交，将成为新版本，所有人需重新审阅。",
    "Operators follow reviews here; the named reviewers decide through their invitation links.":
        "运营人员在此跟进审阅；由指定审阅人通过邀请链接做出决定。",
    "History": "历史记录",
    "When": "时间",
    "Who": "谁",
    "What": "操作",
    "Details": "详情",
    "Could not read the productions waiting for review from Prefect: {error}": "无法从 Prefect 读取待审阅的制作：{error}",
}


def language() -> str:
    return st.session_state.get("lang", "en")


def t(text: str, **values) -> str:
    """``text`` in the person's language, with ``{values}`` filled in as literal text (people's
    words never become markdown or HTML: ``review_ui.safe.md``)."""

    out = ZH.get(text, text) if language() == "zh" else text
    return out.format(**{k: md(v) for k, v in values.items()}) if values else out


def language_switch(default: str) -> None:
    """The sidebar's language choice; a reviewer starts in their invitation's language."""
    st.session_state.setdefault("lang", default if default in LANGUAGES else "en")
    st.sidebar.selectbox("Language / 语言", list(LANGUAGES), format_func=LANGUAGES.get, key="lang")
