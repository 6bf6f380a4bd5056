"""The review portal: `streamlit run review_ui/app.py` (started by `studio up`)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # streamlit runs this file as a script

import streamlit as st  # noqa: E402

from review_ui.pages import productions_page, reviews_page, verify_page  # noqa: E402

st.set_page_config(page_title="Digital-Human Studio", page_icon="🎬", layout="wide")
navigation = st.navigation([
    st.Page(reviews_page, title="Waiting for review", icon="📝", url_path="reviews", default=True),
    st.Page(productions_page, title="Productions", icon="🎞️", url_path="productions"),
    st.Page(verify_page, title="Verify a video", icon="🔎", url_path="verify"),
])
navigation.run()
