"""Block Kit rendering of an :class:`~assistant.answering.Answer` for Slack.

Pure functions, no I/O: the answer text, the cited rows (numbered like the text's [n] citations),
the figures with how they were computed, and the 👍/👎 buttons, split into messages that stay under
Slack's limits (3,000 characters per section, 50 blocks per message).
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

if TYPE_CHECKING:
    from .answering import Answer, CitedRow, Figure

MAX_SECTION_CHARS = 3000  # Slack rejects a section whose text is longer
MAX_BLOCKS = 50  # Slack rejects a message with more blocks
MAX_FALLBACK_CHARS = 3000  # the notification text; Slack's hard limit is far higher, readers' is not
MAX_ROWS = 10  # cited rows shown in Slack; the web page shows them all
MAX_MATCHED_CHARS = 300  # one matched indicator text, as shown under its row
MAX_BUTTON_VALUE = 2000  # Slack's limit on a button's value
FEEDBACK_ACTIONS = {"feedback_up": "up", "feedback_down": "down"}

Block = dict[str, Any]


@dataclass
class Message:
    """One Slack message: the plain fallback ``text`` (notifications) and its ``blocks``."""

    text: str
    blocks: list[Block] = field(default_factory=list)

    def payload(self) -> dict[str, Any]:
        """Keyword arguments for ``chat.postMessage`` / ``chat.update`` / a response_url."""
        return {"text": self.text, "blocks": self.blocks} if self.blocks else {"text": self.text}


def escape(text: str) -> str:
    """Escape the three characters Slack's mrkdwn treats as control characters."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def truncate(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, ending with an ellipsis when cut."""
    return text if len(text) <= limit else text[: max(limit - 1, 0)] + "…"


def is_chinese(text: str) -> bool:
    """True when ``text`` holds CJK characters (so replies of our own are in Chinese too)."""
    return re.search(r"[\u4e00-\u9fff]", text or "") is not None


# -- splitting ----------------------------------------------------------------------------------
def split_escaped(raw: str, limit: int = MAX_SECTION_CHARS) -> list[str]:
    """Escape ``raw`` and cut it into pieces of at most ``limit`` characters.

    Cuts fall between lines where possible, and never inside an escape such as ``&amp;``
    (escaping is done per character, so a piece is measured after escaping).
    """
    pieces: list[str] = []
    current = ""
    for line in raw.splitlines(keepends=True):
        escaped = escape(line)
        if len(current) + len(escaped) <= limit:
            current += escaped
            continue
        if current:
            pieces.append(current)
            current = ""
        for char in line:  # a line longer than a section: cut it by characters
            piece = escape(char)
            if len(current) + len(piece) > limit:
                pieces.append(current)
                current = ""
            current += piece
    if current:
        pieces.append(current)
    return [p.strip("\n") for p in pieces if p.strip()]


def split_messages(blocks: list[Block], limit: int = MAX_BLOCKS) -> list[list[Block]]:
    """``blocks`` in runs of at most ``limit`` (one run per message)."""
    return [blocks[i: i + limit] for i in range(0, len(blocks), limit)] or [[]]


# -- blocks ---------------------------------------------------------------------------------
def section(mrkdwn: str) -> Block:
    """A section block with mrkdwn text (the caller keeps it within MAX_SECTION_CHARS)."""
    return {"type": "section", "text": {"type": "mrkdwn", "text": mrkdwn}}


def context(mrkdwn: str) -> Block:
    """A small grey line of mrkdwn."""
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": truncate(mrkdwn, MAX_SECTION_CHARS)}]}


def text_blocks(raw: str) -> list[Block]:
    """Plain text as as many sections as it needs."""
    return [section(piece) for piece in split_escaped(raw)]


def row_block(number: int, cited: "CitedRow") -> Block:
    """One cited row: name, total, unit, where it stands in the source, and what matched."""
    p = cited.project
    lines = [f"*[{number}] {escape(p.name)}* · {escape(str(p.total))} 万元",
             f"{escape(p.unit)} · {escape(p.source.label())}"]
    lines += [f"> {escape(truncate(m, MAX_MATCHED_CHARS))}" for m in cited.matched[:5]]
    return section(truncate("\n".join(lines), MAX_SECTION_CHARS))


def more_rows_block(hidden: int, question: str, public_url: str | None, chinese: bool) -> Block:
    """"…and N more", linking to the web page (which shows every row) when it has a public URL."""
    text = f"…还有 {hidden} 行" if chinese else f"…and {hidden} more"
    if public_url:
        url = f"{public_url.rstrip('/')}/?q={quote(question)}"
        text += f" — <{url}|{'在网页上查看全部' if chinese else 'see all on the web page'}>"
    return context(text)


def figure_line(fig: "Figure") -> str:
    """``• 合计: *411.00 万元* = 120.00 + 291.00`` (escaped)."""
    value = f"{fig.value} {fig.unit}".strip()
    line = f"• {escape(fig.label)}: *{escape(value)}*"
    if fig.expression and fig.expression != fig.value:
        line += f" = `{escape(fig.expression)}`"
    return line


def figure_blocks(figures: list["Figure"], chinese: bool) -> list[Block]:
    """The figures under a heading, packed into as few sections as the limit allows."""
    if not figures:
        return []
    blocks: list[Block] = []
    current = "*计算结果*" if chinese else "*Figures*"
    for fig in figures:
        line = truncate(figure_line(fig), MAX_SECTION_CHARS - 20)
        if len(current) + 1 + len(line) > MAX_SECTION_CHARS:
            blocks.append(section(current))
            current = ""
        current = f"{current}\n{line}" if current else line
    blocks.append(section(current))
    return blocks


def feedback_value(question: str, answer_text: str, conversation_id: str) -> str:
    """What a feedback button carries back: the question, the start of the answer, the thread.

    Kept in the button itself so a click after a restart (Socket Mode reconnects, deploys) is
    still stored with what it was about.
    """
    item = {"q": truncate(question, 700), "k": conversation_id[:200], "a": ""}
    room = MAX_BUTTON_VALUE - len(json.dumps(item, ensure_ascii=False)) - 10
    # json.dumps may lengthen the answer (quotes, newlines): shrink until it fits
    answer = truncate(answer_text, max(room, 0))
    while answer and len(json.dumps({**item, "a": answer}, ensure_ascii=False)) > MAX_BUTTON_VALUE:
        answer = truncate(answer, len(answer) - 50)
    return json.dumps({**item, "a": answer}, ensure_ascii=False)


def feedback_block(value: str, chinese: bool) -> Block:
    """The 👍 / 👎 buttons."""
    labels = {"feedback_up": "👍 有帮助" if chinese else "👍 Helpful",
              "feedback_down": "👎 没帮助" if chinese else "👎 Not helpful"}
    return {"type": "actions", "block_id": "feedback", "elements": [
        {"type": "button", "action_id": action, "value": value, "text": {"type": "plain_text", "text": label, "emoji": True}}
        for action, label in labels.items()]}


# -- messages -------------------------------------------------------------------------------
def answer_messages(answer: "Answer", *, question: str, conversation_id: str,
                    public_url: str | None = None, asker: str | None = None) -> list[Message]:
    """The answer as one or more messages (the first replaces the "working…" message)."""
    chinese = answer.language.startswith("zh") if answer.language else is_chinese(question)
    blocks: list[Block] = []
    if asker:  # slash commands: the channel does not see the command, so say who asked what
        blocks.append(context(f"<@{asker}>: {escape(truncate(question, 1000))}"))
    blocks += text_blocks(answer.text or ("（无回答）" if chinese else "(no answer)"))
    if answer.notice:
        blocks.append(context(escape(answer.notice)))
    blocks += [row_block(n, row) for n, row in enumerate(answer.rows[:MAX_ROWS], start=1)]
    if len(answer.rows) > MAX_ROWS:
        blocks.append(more_rows_block(len(answer.rows) - MAX_ROWS, question, public_url, chinese))
    blocks += figure_blocks(answer.figures, chinese)
    blocks.append(feedback_block(feedback_value(question, answer.text or "", conversation_id), chinese))
    runs = split_messages(blocks)
    fallback = (split_escaped(answer.text or "", MAX_FALLBACK_CHARS) or [""])[0]  # `text` is mrkdwn too
    more = "（续）" if chinese else "(continued)"
    return [Message(fallback if i == 0 else more, run) for i, run in enumerate(runs)]


def working_message(question: str, asker: str | None = None) -> Message:
    """The placeholder posted at once, replaced in place by the answer."""
    text = "⏳ 正在查找…" if is_chinese(question) else "⏳ Working on it…"
    if asker:
        text = f"<@{asker}>: {escape(truncate(question, 1000))}\n{text}"
    return Message(text, [section(text)])


def failure_message(question: str, detail: str | None = None) -> Message:
    """A friendly message in place of an answer; ``detail`` is a one-line, already-scrubbed reason."""
    if is_chinese(question):
        text = "抱歉，这个问题没能回答" + (f"：{detail}" if detail else "，请稍后再试或换个问法。")
    else:
        text = "Sorry, I couldn't answer that" + (f": {detail}" if detail else "; please try again or rephrase the question.")
    text = escape(truncate("⚠️ " + text, MAX_FALLBACK_CHARS))
    return Message(text, [section(text)])


def feedback_thanks(rating: str, question: str) -> str:
    """The ephemeral reply to a feedback click."""
    emoji = "👍" if rating == "up" else "👎"
    return f"谢谢，已记录你的反馈 {emoji}" if is_chinese(question) else f"Thanks, your {emoji} was recorded."


def usage_text() -> str:
    """What ``/budget`` with no question says."""
    return ("Ask a question about the budget tables, e.g. `/budget Which projects target 365 service days?` "
            "or `/budget 哪些项目的年度指标值是365天？`")
