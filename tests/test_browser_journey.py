"""The whole job in the portal, in Chinese, in Chromium (Playwright, real Prefect server and
runner, real media): an operator signs in, adds a late father with his daughter's consent and
evidence, uploads his recordings, footage and letters, starts a Spring Festival greeting from a
brief; the daughter reviews through her link (a Chinese change request, then approval), watches
the take, and downloads the delivered video. Screenshots of each page go to docs/screenshots/zh-*.png."""

from __future__ import annotations

import pytest

from app.demo import wait_for_review
from review.access import set_operator_password
from review.records import ReviewDecision
from script.records import ScriptVersion
from tests.test_browser import (
    PAGES,
    SHOTS,
    VIEWPORT,
    _file_input,
    _open,
    _screenshot_on_failure,
    _settle,
    browser,
    portal,
)

pytestmark = pytest.mark.slow
__all__ = ["_screenshot_on_failure", "browser", "portal"]  # the fixtures this module uses from test_browser
REAL_MEDIA = True  # Kokoro, full-size pictures and the quality report the daughter reads in Chinese
WARM_GATE_S = 120  # a decision resumes the waiting run at once (test_flow tests the suspended gates)


def _shot(page, name: str) -> None:
    _settle(page)
    page.screenshot(path=str(SHOTS / f"zh-{name}.png"), full_page=True)


def _pick(page, label: str, option: str) -> None:
    page.locator("[data-testid='stSelectbox']").filter(has_text=label).click()
    page.get_by_role("option", name=option, exact=True).click()


def _store(page, kind: str, path, done: str) -> None:
    _pick(page, "这些文件是", kind)
    _file_input(page, "文件").set_input_files(str(path))
    page.get_by_text(path.name).first.wait_for(timeout=60_000)
    _settle(page)
    page.get_by_role("button", name="保存这些文件").click()
    page.get_by_text(done).first.wait_for(timeout=180_000)


def _approve_as_stakeholder(api, request) -> None:
    api.submit_decision(request.id, ReviewDecision(decision="approve", reviewer="张秘书", role="stakeholder"))


def test_the_whole_journey_in_chinese(portal, browser, shared_data, tmp_path):
    from app.api import StudioAPI

    api = StudioAPI(portal)
    SHOTS.mkdir(parents=True, exist_ok=True)
    set_operator_password(portal, "小周", "correct horse battery")
    ops = browser.new_context(viewport=VIEWPORT)
    page = _open(browser, portal.portal.public_url, ops)
    _pick(page, "Language / 语言", "中文")  # the sidebar's switch, before signing in
    page.get_by_label("运营人员名称").fill("小周")
    page.get_by_role("textbox", name="密码").fill("correct horse battery")
    _shot(page, "sign-in")
    page.get_by_role("button", name="登录").click()
    page.get_by_text("当前身份").wait_for(timeout=60_000)

    # a late father, his daughter's consent with the signed form as evidence
    page.get_by_role("link", name="人物与授权").click()
    page.get_by_role("heading", name="人物与授权").wait_for(timeout=60_000)
    page.get_by_text("添加人物").first.click()
    _settle(page)
    page.get_by_label("姓名", exact=True).fill("王建国")
    page.get_by_text("已故（授权须来自").click()
    _settle(page)
    page.get_by_role("button", name="添加人物").click()
    page.get_by_text("已添加 王建国").wait_for(timeout=60_000)
    page.get_by_text("新的授权记录").click()
    _settle(page)
    page.get_by_label("授权人（姓名）").filter(visible=True).fill("王丽")
    page.locator("[data-testid='stMultiSelect']").filter(has_text="用途").filter(visible=True).click()
    page.get_by_role("option", name="问候", exact=True).click()
    page.keyboard.press("Escape")
    form = tmp_path / "授权书.txt"
    form.write_text("本人王丽，系王建国之女，同意工作室为父亲制作新年问候视频。", encoding="utf-8")
    _file_input(page, "证明材料").set_input_files(str(form))
    page.get_by_text("授权书.txt").first.wait_for(timeout=60_000)
    _settle(page)
    page.get_by_role("button", name="添加授权").click()
    page.get_by_text("授权第 1 版已记录。").wait_for(timeout=60_000)
    page.get_by_text("有效").first.wait_for(timeout=60_000)
    _shot(page, "personas")

    # his recordings, footage and letters
    page.get_by_role("link", name="素材").click()
    page.get_by_role("heading", name="素材").wait_for(timeout=60_000)
    letters = tmp_path / "家书.txt"
    letters.write_text("孩子们，过年好！做人要踏实，做事要认真。老房子后面的梅花开了，记得回家吃饭。\n", encoding="utf-8")
    _store(page, "录音", shared_data / "speech" / "f5_ref_zh.wav", "f5_ref_zh.wav：已保存")
    _store(page, "视频素材", shared_data / "footage" / "lp_d3.mp4", "lp_d3.mp4：已保存")
    _store(page, "过去的讲话和书信（文字）", letters, "家书.txt：已保存")
    _shot(page, "materials")

    # a production from a brief; the links for its reviewers come back on the page
    page.get_by_role("link", name="新建制作").click()
    page.get_by_role("heading", name="新建制作").wait_for(timeout=60_000)
    page.get_by_label("场合").fill("春节")
    page.get_by_label("听众").fill("孩子们")
    page.get_by_label("要讲的内容（每行一点）").fill("梅花开了\n回家吃饭")
    page.get_by_label("时长（秒）").fill("12")
    page.get_by_label("家属审阅人，最先批准（姓名，用逗号分隔）").fill("王丽")
    page.get_by_label("文稿审阅人（姓名，用逗号分隔）").fill("张秘书")
    _settle(page)
    page.get_by_role("button", name="开始制作").click()
    page.get_by_text("已开始：王建国 · 春节").wait_for(timeout=120_000)
    page.locator("[data-testid='stCode']").nth(1).wait_for(timeout=60_000)  # drawn just after the message
    _settle(page)
    links = [c.inner_text().strip() for c in page.locator("[data-testid='stCode']").all()]
    _shot(page, "new-production")
    assert len(links) == 2 and all("invite=" in link for link in links)
    [production] = [p for p in api.productions() if p.brief.occasion == "春节"]
    daughter_link = links[0]  # the family first
    operator = page  # their session lives in this tab (Streamlit keeps no sign-in across tabs)

    # the daughter: the script, a change asked in her words, then her approval
    request = wait_for_review(api, production.id, "script-1", timeout_s=300)
    lan = browser.new_context(viewport=VIEWPORT)
    page = _open(browser, daughter_link, lan)
    page.get_by_text("以 王丽（家属）身份决定").wait_for(timeout=60_000)
    page.get_by_label("评论内容", exact=True).fill("删掉")  # her father greets them himself in the sentence after
    page.get_by_role("button", name="提交评论").click()
    page.get_by_text("句子 1:").first.wait_for(timeout=60_000)
    _shot(page, "review-script")
    page.get_by_role("button", name="要求修改").click()
    page.get_by_text("已连同您的意见退回修改。").wait_for(timeout=60_000)
    page.close()
    second = wait_for_review(api, production.id, "script-2", timeout_s=300)
    assert api.script(production.id, second.script_version).sentences[0].text == letters.read_text(encoding="utf-8").strip()
    page = _open(browser, daughter_link, lan)
    page.get_by_text("自第 1 版以来的修改").wait_for(timeout=60_000)
    page.get_by_text("第1句：删掉").first.wait_for(timeout=60_000)  # her words, as she said them
    _shot(page, "review-diff")
    page.get_by_role("button", name="批准").click()
    page.get_by_text("您的批准已记录。仍在等待：相关负责人。").wait_for(timeout=60_000)
    page.get_by_text("家属：王丽 已于").wait_for(timeout=60_000)  # the approvals list, drawn again
    page.close()
    _approve_as_stakeholder(api, api.review(second.id))

    # the take: watched with its checks and warnings, approved
    video = wait_for_review(api, production.id, "video-1", timeout_s=600)
    page = _open(browser, daughter_link, lan)
    page.get_by_text("质量报告").wait_for(timeout=60_000)
    page.get_by_text("离线用本人原始素材重演生成").first.wait_for(timeout=60_000)
    _shot(page, "review-video")
    page.get_by_role("button", name="批准").click()
    page.get_by_text("您的批准已记录。仍在等待：相关负责人。").wait_for(timeout=60_000)
    page.close()
    _approve_as_stakeholder(api, api.review(video.id))
    api.wait_for_run(request.flow_run_id, {"COMPLETED"}, timeout_s=600)

    # the operator sees it delivered; the daughter watches it and downloads it from her link
    operator.get_by_role("link", name="制作", exact=True).click()
    operator.get_by_text("已交付").first.wait_for(timeout=60_000)
    _shot(operator, "productions")
    template = api.save_template(production.id, "父亲的新年问候", {"称呼": "孩子们"}, approved_by=["王丽"])
    api.schedule_template(template.id, cron="0 9 1 2 *", values={"称呼": "孩子们"}, active=True)
    operator.get_by_role("link", name="模板").click()
    operator.get_by_text("父亲的新年问候").wait_for(timeout=60_000)
    _shot(operator, "templates")
    operator.get_by_role("link", name="核验文件").click()
    operator.get_by_role("heading", name="核验文件").wait_for(timeout=60_000)
    _shot(operator, "verify")
    page = _open(browser, daughter_link, lan)
    page.get_by_role("heading", name="成片").wait_for(timeout=60_000)
    _shot(page, "delivery")
    delivery = api.delivery_in_force(production.id)
    with page.expect_download(timeout=120_000) as download:
        page.get_by_role("button", name=f"下载 {delivery.id}.mp4").click()
    saved = tmp_path / "下载.mp4"
    download.value.save_as(saved)
    assert saved.stat().st_size == delivery.video.size
    [event] = [e for e in api.catalog.audit_events() if e.action == "delivery.downloaded" and e.actor == "王丽"]
    assert event.details["files"] == [f"{delivery.id}.mp4"]
    assert len(api.catalog.find(ScriptVersion, f"{production.id}-v")) == 2
    lan.close()
    ops.close()
    PAGES.clear()
