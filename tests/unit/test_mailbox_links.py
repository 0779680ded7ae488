"""The dev mailbox's text part with its links: each http(s) address a link, without the
sentence's final stop; the HTML part's links open in a new tab, the base going into the head
(not a <header>)."""

from __future__ import annotations

from gatehouse.web.mailbox import html_opening_links_in_new_tabs, text_with_links


def test_links_in_a_text_part_end_before_the_sentence_does() -> None:
    text = "Open https://demo.example/reset?token=a-b_c. Or see (https://demo.example/)."
    assert text_with_links(text) == [
        ("Open ", False),
        ("https://demo.example/reset?token=a-b_c", True),
        (". Or see (", False),
        ("https://demo.example/", True),
        (").", False),
    ]


def test_the_new_tab_base_goes_into_the_head() -> None:
    html = '<html><head lang="en"><title>x</title></head><body><header>h</header></body></html>'
    assert html_opening_links_in_new_tabs(html).startswith(
        '<html><head lang="en"><base target="_blank"><title>'
    )
    assert html_opening_links_in_new_tabs("<p><header>x</header></p>").startswith(
        '<base target="_blank"><p><header>'
    )
