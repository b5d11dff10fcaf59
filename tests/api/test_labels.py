"""Every code of the vocabularies has one human label (and statuses, compliance and standing
an explanation), all in the English message catalogue; pages show words, the API codes."""

from enum import StrEnum

import pytest
from babel.messages.pofile import read_po

from app import labels, messages, vocab
from app.web import forms

VOCABULARIES = [
    obj
    for obj in vars(vocab).values()
    if isinstance(obj, type) and issubclass(obj, StrEnum) and obj is not StrEnum
]


@pytest.mark.parametrize("enum", VOCABULARIES, ids=lambda e: e.__name__)
def test_every_code_has_a_label_in_words(enum: type[StrEnum]) -> None:
    for member in enum:
        text = labels.label(member)
        assert text and text == labels.LABELS[enum][member.value]
        assert "_" not in text and text[0].isupper(), text


@pytest.mark.parametrize("enum", [vocab.Status, vocab.Compliance, vocab.Standing], ids=lambda e: e.__name__)
def test_statuses_compliance_and_standing_are_explained(enum: type[StrEnum]) -> None:
    for member in enum:
        text = labels.explanation(member)
        assert text.endswith(".") and len(text) > 10, (member, text)


def test_a_code_given_as_text_reads_the_same_and_unknown_text_stays() -> None:
    assert labels.label("partially_complied") == "Partially complied"
    assert labels.label(vocab.Compliance.none) == "No recommendations"
    assert labels.label("law_enforcement") == "Law enforcement"
    assert labels.label("something else") == "something else"
    assert labels.explanation("in_force") == "No later decision has changed it."
    assert labels.explanation("not a code") == ""


def test_a_code_shared_by_two_vocabularies_has_one_label() -> None:
    seen: dict[str, str] = {}
    for enum in VOCABULARIES:
        if enum is vocab.Compliance:
            continue  # "none" reads "No recommendations" there only; no other vocabulary has it
        for member in enum:
            assert seen.setdefault(member.value, labels.label(member)) == labels.label(member), member


def test_the_english_catalogue_is_complete() -> None:
    """Every marked text (labels, templates) is in the English .po with its translation; run
    `python -m app.messages` after adding one."""
    english = {m.id: m.string for m in messages.english() if m.id}
    written = labels.translations("en")
    assert len(english) > 80
    for message_id, text in english.items():
        assert written.gettext(message_id) == text  # type: ignore[arg-type]  # ids of a singular catalogue are str
    with (labels.LOCALE_DIR / "en" / "LC_MESSAGES" / "messages.po").open("rb") as f:
        po = {m.id: m.string for m in read_po(f) if m.id}
    missing = [m for m in english if not po.get(m)]
    assert missing == []


def test_a_validation_message_names_the_choices_in_words() -> None:
    _, errors = forms.DecisionQuery.parse({"compliance": "nope"})
    message = errors["compliance"]
    assert message == "should be " + labels.in_words([c.value for c in vocab.Compliance])
    assert message.startswith("should be “No recommendations”, “Pending”, “Complied”, “Partially complied”")
    assert "partially_complied" not in message and "Input should" not in message


def test_a_bad_order_on_a_page_is_named_by_the_orders_words() -> None:
    _, errors = forms.DecisionQuery.parse({"sort": "colour"})
    assert errors["sort"].startswith("should be one of the orders: Newest first; Oldest first;")
    assert "Largest penalty first" in errors["sort"] and "-penalty_amount" not in errors["sort"]


def test_the_french_catalogue_is_complete() -> None:
    """Every marked text has its French (each plural form; none fuzzy), and the French holds no
    text the app no longer uses: `python -m app.messages`, then write the French of the new ones."""
    extracted = {m.id if isinstance(m.id, str) else m.id[0]: m for m in messages.extracted() if m.id}
    with (labels.LOCALE_DIR / "fr" / "LC_MESSAGES" / "messages.po").open("rb") as f:
        french = {m.id if isinstance(m.id, str) else m.id[0]: m for m in read_po(f, locale="fr") if m.id}
    assert sorted(set(extracted) - set(french)) == []
    assert sorted(set(french) - set(extracted)) == []
    untranslated = [key for key, m in french.items() if not messages.translated(m)]
    assert untranslated == []
    for key, m in extracted.items():
        assert isinstance(m.id, str) == isinstance(french[key].id, str), key
    # And the app reads it: a label in French.
    assert labels.translations("fr").gettext("Partially complied") == "Partiellement respectée"
