"""`studio persona`, `studio consent` and `studio operator`: the people behind a production."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from app.cli.common import guard, open_api
from persona.consent import quorum_problem
from persona.records import HumourDevice, Persona

persona_app = typer.Typer(no_args_is_help=True, help="Personas: the people whose digital human is made.")
consent_app = typer.Typer(no_args_is_help=True, help="Consent records: who allowed what, until when.")
operator_app = typer.Typer(no_args_is_help=True, help="Operators who sign in to the portal.")


@persona_app.command("create")
@guard
def persona_create(name: str, language: list[str] = typer.Option(["en"], "--language"), deceased: bool = False,
                   fictional: bool = False, persona_id: Optional[str] = typer.Option(None, "--id")) -> None:
    """Create a persona."""
    p = open_api().create_persona(name, language, deceased=deceased, fictional=fictional, persona_id=persona_id)
    typer.echo(p.id)


@persona_app.command("list")
def persona_list() -> None:
    """Each persona: id, digital-human identity code, name, languages."""
    api = open_api()
    for p in api.catalog.find(Persona):
        typer.echo("\t".join([p.id, api.identity_code(p.id), p.display_name, ",".join(p.languages)]
                             + (["deceased"] if p.deceased else [])))


def show_profile(profile) -> None:
    unit = "characters" if profile.language == "zh" else "words"
    typer.echo(f"style of {profile.persona_id} ({profile.language}, from {profile.passages} passages"
               + (f"; {', '.join(profile.edited_fields)} edited by {profile.edited_by}" if profile.edited_fields else "") + ")")
    typer.echo(f"  sentence length   {profile.sentence_length:g} {unit}")
    typer.echo(f"  catchphrases      {' | '.join(profile.catchphrases) or '-'}")
    typer.echo(f"  fillers           {' | '.join(profile.fillers) or '-'}")
    typer.echo(f"  forms of address  {' | '.join(profile.forms_of_address) or '-'}")
    typer.echo(f"  regional words    {' | '.join(profile.regional_words) or '-'}")
    for h in profile.humour:
        typer.echo(f"  humour            {h.name}: {h.example}")
    if profile.notes:
        typer.echo(f"  notes             {profile.notes}")


@persona_app.command("corpus")
@guard
def persona_corpus(persona_id: str, transcribe: bool = typer.Option(True, help="Also transcribe voice and footage uploads.")) -> None:
    """Build the persona's corpus from their uploads and derive their style profile."""
    corpus, profile = open_api().build_corpus(persona_id, transcribe)
    counts: dict[str, int] = {}
    for p in corpus.passages:
        counts[f"{p.upload_id} ({p.origin})"] = counts.get(f"{p.upload_id} ({p.origin})", 0) + 1
    typer.echo(f"{len(corpus.passages)} passages from {len(corpus.sources)} uploads")
    for source, n in counts.items():
        typer.echo(f"  {source}: {n}")
    show_profile(profile)


@persona_app.command("style")
@guard
def persona_style(persona_id: str,
                  catchphrase: list[str] = typer.Option(None, help="Replaces the catchphrases (repeat the option)."),
                  filler: list[str] = typer.Option(None, help="Replaces the filler words."),
                  address: list[str] = typer.Option(None, help="Replaces the forms of address."),
                  regional: list[str] = typer.Option(None, help="Replaces the regional words (咱们, 甭 ...)."),
                  humour: list[str] = typer.Option(None, help="Replaces the humour devices: 'name: example'."),
                  sentence_length: Optional[float] = typer.Option(None, help="Typical words (zh: characters) per sentence."),
                  notes: Optional[str] = typer.Option(None, help="Anything else the drafter should know.")) -> None:
    """Show the persona's style profile, or edit it (edited fields are kept when it is derived again)."""

    changes = {k: v for k, v in {"catchphrases": catchphrase, "fillers": filler, "forms_of_address": address,
                                 "regional_words": regional, "sentence_length": sentence_length, "notes": notes}.items() if v}
    if humour:
        changes["humour"] = [HumourDevice(name=h.split(":", 1)[0].strip(), example=h.split(":", 1)[1].strip() if ":" in h else "")
                             for h in humour]
    api = open_api()
    show_profile(api.edit_style(persona_id, **changes) if changes else api.style_profile(persona_id))


@persona_app.command("search")
@guard
def persona_search(persona_id: str, query: str, k: int = typer.Option(5, help="How many passages.")) -> None:
    """The persona's passages most relevant to some words (BM25, and embeddings for English)."""
    hits = open_api().search_corpus(persona_id, query, k)
    if not hits:
        typer.echo("no passage shares a word or a meaning with that")
    for h in hits:
        typer.echo(f"{h.score:.4f}  bm25 {h.bm25:.2f}" + (f"  cos {h.cosine:.2f}" if h.cosine is not None else "") + f"  {h.text}")


@consent_app.command("add")
@guard
def consent_add(persona_id: str, grantor: str = typer.Option(..., help="Who gives consent."),
                relationship: str = typer.Option("self", help="self | next_of_kin | estate | authorised_operator"),
                use: list[str] = typer.Option(["greeting"], help="greeting | memorial | annual_meeting"),
                evidence: list[Path] = typer.Option(..., help="Signed form or recorded statement (repeatable)."),
                days: int = typer.Option(365, help="Days the consent is valid."),
                forbidden: list[str] = typer.Option([], help="Topics the persona must never speak about."),
                audience: list[str] = typer.Option([], help="Audiences allowed (e.g. family); none means any."),
                language: list[str] = typer.Option([], help="Languages allowed (en, zh); default: the persona's."),
                endorsements: bool = typer.Option(False, help="Allow recommending products, brands or services."),
                own_words_only: bool = typer.Option(False, help="Views, memories, sayings and figures only as their "
                                                                 "corpus or the brief supports."),
                member: list[str] = typer.Option([], help="Deceased persons: a family member whose agreement is "
                                                          "needed, 'NAME:RELATIONSHIP' (repeatable)."),
                needed: Optional[int] = typer.Option(None, help="How many of the members must agree (default: all).")) -> None:
    """Record consent, with evidence, for a persona (the person, or for the deceased their next of kin;
    with --member, nothing is generated until enough of the named family have each agreed)."""
    quorum = None
    if member:
        pairs = [m.split(":", 1) for m in member]
        if any(len(p) != 2 or not p[0].strip() or not p[1].strip() for p in pairs):
            raise ValueError("give each family member as NAME:RELATIONSHIP, e.g. --member 'Mei:spouse'")
        quorum = {"members": [{"name": n.strip(), "relationship": r.strip()} for n, r in pairs],
                  "needed": needed or len(pairs)}
    c = open_api().add_consent(persona_id, grantor, relationship, use, evidence, valid_days=days, forbidden_topics=forbidden,
                               audiences=audience or None, languages=language or None, endorsements=endorsements,
                               own_words_only=own_words_only, quorum=quorum)
    typer.echo(c.id)


@consent_app.command("family")
@guard
def consent_family(consent_id: str) -> None:
    """Where a family consent stands: who must agree, who has, and any withdrawal."""
    status = open_api().family_status(consent_id)
    agreed = sum(m.agreed_at is not None for m in status.members)
    typer.echo(f"{status.consent_id}: {agreed} of the {status.needed} needed have agreed"
               + (" (complete)" if status.complete else ""))
    for m in status.members:
        typer.echo(f"  {m.name} ({m.relationship})\t" + (f"agreed {m.agreed_at:%Y-%m-%d %H:%M}" if m.agreed_at else "not yet"))
    if status.revoked_at:
        typer.echo(f"revoked {status.revoked_at:%Y-%m-%d %H:%M}: {status.revocation_reason}")


@consent_app.command("invite")
@guard
def consent_invite(consent_id: str, member: str = typer.Option(..., help="A family member the consent names."),
                   days: Optional[int] = typer.Option(None, help="Days the link works."),
                   language: str = typer.Option("en", help="en or zh: the portal's language for them.")) -> None:
    """A link for one family member to read the consent, agree with their own evidence, or withdraw."""
    invitation, link = open_api().invite_family_member(consent_id, member, days, language)
    typer.echo(f"{invitation.id}\t{invitation.reviewer}\tuntil {invitation.expires_at:%Y-%m-%d}\n{link}")


@consent_app.command("agree")
@guard
def consent_agree(consent_id: str, member: str = typer.Option(..., help="The family member who agreed."),
                  evidence: list[Path] = typer.Option(..., help="Their signed form or recorded statement (repeatable).")) -> None:
    """Record a family member's agreement from their paper form or recording (audited as recorded by the operator)."""
    grant = open_api().agree_to_consent(consent_id, member, evidence=evidence)
    typer.echo(f"{grant.member} ({grant.relationship}) agreed to {consent_id}")


@consent_app.command("withdraw")
@guard
def consent_withdraw(consent_id: str, member: str = typer.Option(..., help="The family member who withdraws."),
                     reason: str = typer.Option(..., help="Their reason, in a few words (audited, shown to reviewers).")) -> None:
    """A named family member withdraws (or objects): the consent is revoked at once in their name."""
    c = open_api().withdraw_from_consent(consent_id, member, reason)
    typer.echo(f"{c.id} revoked at {c.revoked_at:%Y-%m-%d %H:%M}: {c.revocation_reason}")


@consent_app.command("list")
@guard
def consent_list(persona_id: str) -> None:
    """The persona's consent records, each version with who gave it, for what, and its state."""
    api = open_api()
    for c in api.consents(persona_id):
        state = ("revoked" if c.revoked_at else f"replaced by {c.superseded_by}" if c.superseded_by
                 else c.problem(c.scope.uses[0], c.scope.languages[0]) or quorum_problem(api.catalog, c) or "valid")
        typer.echo(f"{c.id}\tv{c.version}\t{c.grantor_name} ({c.relationship.replace('_', ' ')})\t{', '.join(c.scope.uses)}\t"
                   f"{', '.join(c.scope.languages)}\tuntil {c.valid_until:%Y-%m-%d}\t{state}")


@consent_app.command("correct")
@guard
def consent_correct(consent_id: str, reason: str = typer.Option(..., help="What is corrected, and why (audited)."),
                    grantor: str | None = typer.Option(None, help="Who gave consent."),
                    relationship: str | None = typer.Option(None, help="self | next_of_kin | estate | authorised_operator"),
                    use: list[str] = typer.Option([], help="greeting | memorial | annual_meeting (replaces the uses)"),
                    evidence: list[Path] = typer.Option([], help="New evidence (replaces it; default: kept)."),
                    forbidden: list[str] = typer.Option([], help="Forbidden topics (replaces them)."),
                    language: list[str] = typer.Option([], help="Languages (replaces them).")) -> None:
    """Correct a consent record as its next version (the old one stays on file, marked replaced)."""
    c = open_api().correct_consent(consent_id, reason, evidence=evidence or None, grantor_name=grantor,
                                   relationship=relationship, uses=use or None, forbidden_topics=forbidden or None,
                                   languages=language or None)
    typer.echo(f"{c.id} (version {c.version}) replaces {consent_id}")


@consent_app.command("revoke")
@guard
def consent_revoke(consent_id: str, reason: str = typer.Option(..., help="Why consent is withdrawn.")) -> None:
    """Revoke consent: no further generation or delivery for it."""
    c = open_api().revoke_consent(consent_id, reason)
    typer.echo(f"{c.id} revoked at {c.revoked_at:%Y-%m-%d %H:%M}")


@operator_app.command("set-password")
@guard
def operator_set_password(name: str, password: str = typer.Option(..., prompt=True, hide_input=True,
                                                                  confirmation_prompt=True)) -> None:
    """Create an operator or change their password (stored as a scrypt hash)."""

    open_api().set_operator_password(name, password)
    typer.echo(f"operator {name} can sign in to the portal")
