/* The web chat. Every piece of text from the server is put in the page with textContent (never
   innerHTML), so a project named "<script>…" shows as text. Nothing is loaded from elsewhere. */
"use strict";

(() => {
  const LANG = (navigator.language || "en").toLowerCase().startsWith("zh") ? "zh" : "en";
  const TOKEN_KEY = "budgetAssistant.token";

  const TEXT = {
    en: {
      title: "Budget performance-target assistant",
      loading: "Loading…",
      newChat: "New conversation",
      token: "Access token",
      tokenLabel: "Access token",
      tokenHint: "This server needs the access token it was started with (ASSISTANT_API_TOKEN). It is kept in this browser only.",
      tokenWrong: "The access token is missing or wrong. Enter the token the server was started with.",
      save: "Save",
      indexed: "What is indexed",
      intro: "Ask about the projects, budgets and performance indicators in the tables, in Chinese or English. Every number is computed from the rows and shown with its formula; every row cites the line it comes from.",
      examples: "Try an example:",
      questionLabel: "Your question",
      placeholder: "Ask a question, e.g. Which projects target 365 service days?",
      ask: "Ask",
      summary: (c, total) => `Indexed: ${c.documents} document${c.documents === 1 ? "" : "s"} · ${c.projects} projects · ${c.units} units${total ? ` · total ${total} 万元` : ""}`,
      nothingIndexed: "Nothing is indexed yet — add tables with “assistant ingest”.",
      docLine: (d) => `${d.department}${d.year ? ` · ${d.year}` : ""} · ${d.project_count} projects${d.withheld_count ? ` (${d.withheld_count} not disclosed)` : ""}${d.total ? ` · total ${fmtAmount(d.total)} 万元` : ""}`,
      unitLine: (u) => `${u.name}${u.amount ? ` — ${fmtAmount(u.amount)} 万元` : ""} (${u.projects} projects)`,
      step_queued: "Waiting for a free worker…",
      step_planning: "Understanding the question…",
      step_executing: "Finding the rows and computing…",
      step_answering: "Writing the answer…",
      status_not_found: "Not in the data",
      status_needs_clarification: "Needs clarification",
      status_error: "Error",
      figures: "How the numbers were computed",
      chart: "Amounts of the cited rows (万元)",
      chartMore: (shown, all) => `Showing the first ${shown} of ${all} rows.`,
      rows: (n) => `Cited rows (${n})`,
      colNo: "#", colProject: "Project", colUnit: "Unit", colAmount: "Amount (万元)", colMatched: "Matched indicator", colSource: "Source", colLine: "Line",
      sourceDocument: (name) => `Source: ${name}`,
      copy: "Copy answer", copied: "Copied.", copyFailed: "Could not copy; select the text instead.",
      csv: "Download CSV", xlsx: "Download Excel", exported: "Downloaded.",
      up: "Helpful", down: "Not helpful",
      reason: "What was wrong or missing? (optional)", reasonUp: "Anything to add? (optional)",
      send: "Send feedback", thanks: "Thank you — your feedback was saved.",
      expired: "The earlier conversation had expired, so this question was answered on its own.",
      network: "The server could not be reached. Is it still running?",
      tooLong: (n, max) => `${n} / ${max} characters — too long`,
      chars: (n, max) => `${n} / ${max}`,
    },
    zh: {
      title: "预算绩效目标问答",
      loading: "加载中…",
      newChat: "新对话",
      token: "访问令牌",
      tokenLabel: "访问令牌",
      tokenHint: "此服务需要启动时设置的访问令牌（ASSISTANT_API_TOKEN），令牌只保存在本浏览器中。",
      tokenWrong: "访问令牌缺失或不正确，请输入服务启动时设置的令牌。",
      save: "保存",
      indexed: "已收录的内容",
      intro: "可用中文或英文询问表中的项目、预算和绩效指标。所有数字均由表格行计算得出并附算式，每一行都注明出处行号。",
      examples: "试试这些问题：",
      questionLabel: "您的问题",
      placeholder: "请输入问题，例如：满意度指标目标不低于95%的项目有哪些？",
      ask: "提问",
      summary: (c, total) => `已收录 ${c.documents} 份文件 · ${c.projects} 个项目 · ${c.units} 个单位${total ? ` · 合计 ${total} 万元` : ""}`,
      nothingIndexed: "尚未收录任何表格，请先用 “assistant ingest” 导入。",
      docLine: (d) => `${d.department}${d.year ? ` · ${d.year}年` : ""} · ${d.project_count} 个项目${d.withheld_count ? `（${d.withheld_count} 个不宜公开）` : ""}${d.total ? ` · 合计 ${fmtAmount(d.total)} 万元` : ""}`,
      unitLine: (u) => `${u.name}${u.amount ? `：${fmtAmount(u.amount)} 万元` : ""}（${u.projects} 个项目）`,
      step_queued: "排队等候中…",
      step_planning: "正在理解问题…",
      step_executing: "正在查找数据并计算…",
      step_answering: "正在组织回答…",
      status_not_found: "数据中没有",
      status_needs_clarification: "需要澄清",
      status_error: "出错",
      figures: "数字的计算方法",
      chart: "所引项目金额（万元）",
      chartMore: (shown, all) => `仅显示前 ${shown} 行，共 ${all} 行。`,
      rows: (n) => `引用的行（${n}）`,
      colNo: "序号", colProject: "项目名称", colUnit: "资金使用单位", colAmount: "金额（万元）", colMatched: "匹配的绩效指标", colSource: "出处", colLine: "行号",
      sourceDocument: (name) => `出处：${name}`,
      copy: "复制回答", copied: "已复制。", copyFailed: "无法复制，请手动选择文字。",
      csv: "下载 CSV", xlsx: "下载 Excel", exported: "已下载。",
      up: "有帮助", down: "没帮助",
      reason: "哪里不对或缺了什么？（可选）", reasonUp: "还有什么补充？（可选）",
      send: "提交反馈", thanks: "谢谢，您的反馈已保存。",
      expired: "之前的对话已过期，本问题按新对话回答。",
      network: "无法连接服务器，请确认服务仍在运行。",
      tooLong: (n, max) => `${n} / ${max} 字 — 超出长度`,
      chars: (n, max) => `${n} / ${max}`,
    },
  };
  const t = (key, ...args) => {
    const value = TEXT[LANG][key] ?? TEXT.en[key] ?? key;
    return typeof value === "function" ? value(...args) : value;
  };

  const EXAMPLES = [
    "Which projects target 365 service days?",
    "满意度指标目标不低于95%的项目有哪些？",
    "预算最高的三个项目是哪些？",
    "What share of the total budget goes to projects that are not disclosed?",
    "Do the unit subtotals add up to the department total?",
    "哪些绩效指标没有量化？",
  ];

  // linkedQuestion: a question passed in the address (?q=, as the Slack bot links), asked once
  const state = { token: "", conversationId: null, maxChars: 500, busy: false, answers: 0, linkedQuestion: "" };
  const $ = (id) => document.getElementById(id);

  /* -- small DOM helpers ------------------------------------------------------------------ */
  function el(tag, props = {}, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props)) {
      if (value === undefined || value === null || value === false) continue;
      if (key === "class") node.className = value;
      else if (key === "text") node.textContent = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : String(value));
    }
    for (const child of children) {
      if (child !== null && child !== undefined) node.append(child); // strings become text nodes
    }
    return node;
  }

  function fmtAmount(value) {
    const match = /^(-?)(\d+)(\.\d+)?$/.exec(String(value));
    if (!match) return String(value);
    return match[1] + match[2].replace(/\B(?=(\d{3})+(?!\d))/g, ",") + (match[3] || "");
  }

  function documentLabel(source) {
    if (!source) return "";
    return source.sheet ? `${source.document}!${source.sheet}` : source.document;
  }

  function sourceLabel(source) {
    return source ? `${documentLabel(source)}:${source.line}` : "";
  }

  /* -- talking to the server -------------------------------------------------------------- */
  class ApiError extends Error {
    constructor(message, status) { super(message); this.status = status; }
  }

  async function api(path, body) {
    const headers = {};
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (state.token) headers.Authorization = `Bearer ${state.token}`;
    let response;
    try {
      response = await fetch(path, { method: body === undefined ? "GET" : "POST", headers,
        body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (_err) {
      throw new ApiError(t("network"), 0);
    }
    if (response.ok) return response;
    let message = `HTTP ${response.status}`;
    try { message = (await response.json()).error || message; } catch (_err) { /* not JSON */ }
    if (response.status === 401) showTokenPanel(t("tokenWrong"));
    throw new ApiError(message, response.status);
  }

  async function readEvents(response, onEvent) {
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true }).replace(/\r\n/g, "\n");
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        let event = "message";
        const data = [];
        for (const line of block.split("\n")) {
          if (line.startsWith("event:")) event = line.slice(6).trim();
          else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
        }
        if (data.length) onEvent(event, JSON.parse(data.join("\n")));
      }
    }
  }

  /* -- the address: ?token= and ?q= ---------------------------------------------------------- */
  function dropFromAddress(name) {
    const params = new URLSearchParams(window.location.search);
    params.delete(name);
    const rest = params.toString();
    history.replaceState(null, "", window.location.pathname + (rest ? `?${rest}` : "") + window.location.hash);
  }

  function loadLinkedQuestion() {
    state.linkedQuestion = (new URLSearchParams(window.location.search).get("q") || "").trim();
  }

  /** Ask the ?q= question once, and take it out of the address so a reload does not ask again. */
  function askLinkedQuestion() {
    const question = state.linkedQuestion;
    if (!question) return;
    state.linkedQuestion = "";
    dropFromAddress("q");
    $("question").value = question;
    updateCount();
    ask(question);
  }

  /* -- token --------------------------------------------------------------------------------- */
  function loadToken() {
    const fromUrl = new URLSearchParams(window.location.search).get("token");
    if (fromUrl) {
      saveToken(fromUrl);
      dropFromAddress("token");
    }
    try { state.token = localStorage.getItem(TOKEN_KEY) || ""; } catch (_err) { /* storage off */ }
  }

  function saveToken(token) {
    state.token = token.trim();
    try { localStorage.setItem(TOKEN_KEY, state.token); } catch (_err) { /* kept for this page only */ }
  }

  function showTokenPanel(message) {
    $("token-panel").hidden = false;
    $("token-toggle").hidden = false;
    const hint = $("token-hint");
    hint.textContent = message || t("tokenHint");
    hint.classList.toggle("error", Boolean(message));
    $("token-input").focus();
  }

  /* -- what is indexed ------------------------------------------------------------------------ */
  /** Show what is indexed; false when that failed (e.g. a missing or wrong token). */
  async function loadDocuments() {
    const summary = $("corpus-summary");
    try {
      const data = await (await api("/api/documents")).json();
      renderDocuments(data);
      return true;
    } catch (err) {
      summary.textContent = err.message;
      summary.classList.add("error");
      return false;
    }
  }

  function renderDocuments(data) {
    const summary = $("corpus-summary");
    summary.classList.remove("error");
    const docs = data.documents || [];
    if (!docs.length) {
      summary.textContent = t("nothingIndexed");
      return;
    }
    const total = docs.length === 1 && docs[0].total ? fmtAmount(docs[0].total) : "";
    summary.textContent = t("summary", data.counts, total);
    const box = $("documents");
    box.replaceChildren(...docs.map((d) => el("div", { class: "doc" },
      el("h2", { text: d.document }),
      el("div", { text: t("docLine", d) }),
      el("ul", {}, ...(d.units || []).map((u) => el("li", { text: t("unitLine", u) }))))));
  }

  /* -- asking --------------------------------------------------------------------------------- */
  async function ask(question) {
    question = question.trim();
    if (!question || state.busy) return;
    setBusy(true);
    $("question").value = "";
    $("log").append(el("div", { class: "msg user", text: question }));
    const card = new AnswerCard(++state.answers, question);
    $("log").append(card.node);
    card.node.scrollIntoView({ behavior: "smooth", block: "nearest" });
    try {
      const response = await api("/api/ask/stream", { question, conversation_id: state.conversationId });
      let finished = false;
      let failure = null;
      await readEvents(response, (event, data) => {
        if (event === "progress") card.progress(data.step);
        else if (event === "delta") card.appendText(data.text);
        else if (event === "answer") {
          finished = true;
          state.conversationId = data.conversation_id;
          card.render(data);
        } else if (event === "error") {
          failure = new ApiError(data.error, data.status);
        }
      });
      if (failure) throw failure;
      if (!finished) throw new ApiError(t("network"), 0);
    } catch (err) {
      card.fail(err.message);
      if (!$("question").value) $("question").value = question; // to edit and ask again
    } finally {
      setBusy(false);
      updateCount();
      $("question").focus();
    }
  }

  function setBusy(busy) {
    state.busy = busy;
    $("ask-button").disabled = busy;
    for (const button of document.querySelectorAll(".examples button")) button.disabled = busy;
  }

  /** One answer in the log: progress, then streamed text, then figures, chart, rows and actions. */
  class AnswerCard {
    constructor(number, question) {
      this.number = number;
      this.question = question;
      this.data = null;
      this.status = el("div", { class: "progress", text: t("step_queued") });
      this.text = el("div", { class: "text" });
      this.body = el("div", { class: "details" });
      this.node = el("article", { class: "msg bot", "data-answer": number, "data-state": "pending" },
        this.status, this.text, this.body);
    }

    progress(step) {
      this.status.textContent = t(`step_${step}`);
    }

    appendText(piece) {
      this.status.hidden = true;
      this.text.append(piece);
    }

    fail(message) {
      this.status.hidden = true;
      this.node.classList.add("error-msg");
      this.node.dataset.state = "error";
      this.text.replaceChildren(el("span", { class: "badge error", text: t("status_error") }), el("br"), message);
    }

    render(data) {
      this.data = data;
      this.node.dataset.state = "done";
      this.status.hidden = true;
      this.text.replaceChildren();
      if (data.status !== "answered") {
        this.text.append(el("span", { class: `badge ${data.status}`, text: t(`status_${data.status}`) }), el("br"));
      }
      this.text.append(...this.citedText(data.answer, (data.rows || []).length));
      const parts = [];
      if (data.new_conversation) parts.push(el("p", { class: "notice", text: t("expired") }));
      if (data.notice) parts.push(el("p", { class: "notice", text: data.notice }));
      if (data.figures && data.figures.length) parts.push(el("h3", { text: t("figures") }), this.figures(data.figures));
      if (data.rows && data.rows.length >= 2) parts.push(el("h3", { text: t("chart") }), ...this.chart(data.rows));
      if (data.rows && data.rows.length) parts.push(el("h3", { text: t("rows", data.rows.length) }), this.table(data.rows));
      parts.push(this.actions());
      this.body.replaceChildren(...parts);
    }

    citedText(text, rowCount) {
      const nodes = [];
      let last = 0;
      for (const match of String(text).matchAll(/\[(\d+)\]/g)) {
        const n = Number(match[1]);
        if (n < 1 || n > rowCount) continue;
        nodes.push(text.slice(last, match.index));
        nodes.push(el("a", { class: "cite", href: `#a${this.number}-r${n}`, text: match[0],
          onclick: (event) => { event.preventDefault(); this.flashRow(n); } }));
        last = match.index + match[0].length;
      }
      nodes.push(text.slice(last));
      return nodes;
    }

    flashRow(n) {
      const row = this.node.querySelector(`tr[data-row="${n}"]`);
      if (!row) return;
      row.scrollIntoView({ behavior: "smooth", block: "center" });
      row.classList.remove("flash");
      void row.offsetWidth; // restart the animation
      row.classList.add("flash");
    }

    figures(figures) {
      return el("ul", { class: "figures" }, ...figures.map((f) => el("li", {},
        el("span", { class: "label", text: f.label }),
        el("span", { class: "value", text: /^-?\d+(\.\d+)?$/.test(f.value) ? fmtAmount(f.value) : f.value }),
        el("span", { class: "unit", text: f.unit || "" }),
        f.expression ? el("code", { class: "expression", text: `= ${f.expression}` }) : null)));
    }

    chart(rows) {
      const limit = 20;
      const shown = rows.slice(0, limit);
      const max = Math.max(...shown.map((r) => Math.abs(Number(r.total)) || 0), 0);
      const chart = el("div", { class: "chart", role: "img", "aria-label": t("chart") });
      shown.forEach((row, i) => {
        const bar = el("div", { class: "bar" });
        bar.style.width = `${max ? (Math.abs(Number(row.total)) / max) * 80 : 0}%`;
        chart.append(el("div", { class: "label", title: row.project, text: `[${i + 1}] ${row.project}` }),
          el("div", { class: "track" }, bar, el("span", { class: "amount", text: fmtAmount(row.total) })));
      });
      return rows.length > limit ? [chart, el("p", { class: "chart-note", text: t("chartMore", limit, rows.length) })] : [chart];
    }

    table(rows) {
      // one source document (the usual case): name it once under the table, show line numbers
      const documents = new Set(rows.map((row) => documentLabel(row.source)));
      const oneDocument = documents.size === 1 ? [...documents][0] || null : null;
      const withMatched = rows.some((row) => (row.matched || []).length);
      const columns = ["colNo", "colProject", "colUnit", "colAmount", withMatched && "colMatched",
        oneDocument ? "colLine" : "colSource"].filter(Boolean);
      const head = el("tr", {}, ...columns.map((key) => el("th", { scope: "col", text: t(key) })));
      const body = rows.map((row, i) => el("tr", { "data-row": i + 1, id: `a${this.number}-r${i + 1}` },
        el("td", { class: "num", text: String(i + 1) }),
        el("td", { class: "project", text: row.project }),
        el("td", { class: "unit", text: row.unit || "" }),
        el("td", { class: "num amount", text: fmtAmount(row.total) }),
        withMatched ? el("td", { class: "matched" }, ...(row.matched || []).map((m) => el("div", { text: m }))) : null,
        el("td", { class: oneDocument ? "source num" : "source", title: sourceLabel(row.source),
          text: oneDocument ? String(row.source ? row.source.line : "") : sourceLabel(row.source) })));
      const caption = oneDocument ? el("caption", { text: t("sourceDocument", oneDocument) }) : null;
      return el("div", { class: "table-wrap" },
        el("table", { class: "rows" }, caption, el("thead", {}, head), el("tbody", {}, ...body)));
    }

    actions() {
      const note = el("span", { class: "status", role: "status" });
      const say = (message) => { note.textContent = message; };
      const bar = el("div", { class: "actions" },
        el("button", { type: "button", class: "copy", text: t("copy"), onclick: () => this.copy(say) }));
      if (this.data.rows && this.data.rows.length) {
        bar.append(
          el("button", { type: "button", class: "export-csv", text: t("csv"), onclick: () => this.download("csv", say) }),
          el("button", { type: "button", class: "export-xlsx", text: t("xlsx"), onclick: () => this.download("xlsx", say) }));
      }
      const form = this.feedbackForm(say);
      const icon = () => el("img", { src: "/static/thumb.svg", alt: "", width: 16, height: 16 });
      const up = el("button", { type: "button", class: "thumb up", "aria-pressed": "false" }, icon(), t("up"));
      const down = el("button", { type: "button", class: "thumb down", "aria-pressed": "false" }, icon(), t("down"));
      for (const [button, rating] of [[up, "up"], [down, "down"]]) {
        button.addEventListener("click", () => {
          form.dataset.rating = rating;
          up.classList.toggle("chosen", rating === "up");
          down.classList.toggle("chosen", rating === "down");
          up.setAttribute("aria-pressed", String(rating === "up"));
          down.setAttribute("aria-pressed", String(rating === "down"));
          form.querySelector("textarea").placeholder = rating === "up" ? t("reasonUp") : t("reason");
          form.hidden = false;
          form.querySelector("textarea").focus();
        });
      }
      bar.append(up, down, note);
      return el("div", {}, bar, form);
    }

    feedbackForm(say) {
      const reason = el("textarea", { class: "reason", rows: 2, maxlength: 2000 });
      const form = el("form", { class: "feedback-form", hidden: true },
        reason, el("button", { type: "submit", class: "send-feedback", text: t("send") }));
      form.addEventListener("submit", async (event) => {
        event.preventDefault();
        const button = form.querySelector("button");
        button.disabled = true;
        try {
          await api("/api/feedback", { rating: form.dataset.rating, reason: reason.value,
            answer_id: this.data.answer_id, question: this.question, answer: this.data.answer,
            conversation_id: this.data.conversation_id });
          form.hidden = true;
          for (const thumb of this.node.querySelectorAll(".thumb")) thumb.disabled = true;
          say(t("thanks"));
        } catch (err) {
          button.disabled = false;
          say(err.message);
        }
      });
      return form;
    }

    plainText() {
      const d = this.data;
      const lines = [d.answer];
      if (d.figures && d.figures.length) {
        lines.push("", ...d.figures.map((f) => `${f.label}: ${f.value} ${f.unit || ""}${f.expression ? ` = ${f.expression}` : ""}`.trim()));
      }
      if (d.rows && d.rows.length) {
        lines.push("", ...d.rows.map((r, i) => `[${i + 1}] ${r.project} (${r.unit}) ${r.total} 万元 — ${sourceLabel(r.source)}`));
      }
      return lines.join("\n");
    }

    async copy(say) {
      const text = this.plainText();
      try {
        if (navigator.clipboard && window.isSecureContext) {
          await navigator.clipboard.writeText(text);
        } else {
          const area = el("textarea", { class: "visually-hidden" });
          area.value = text;
          document.body.append(area);
          area.select();
          const ok = document.execCommand("copy");
          area.remove();
          if (!ok) throw new Error("copy refused");
        }
        say(t("copied"));
      } catch (_err) {
        say(t("copyFailed"));
      }
    }

    async download(format, say) {
      try {
        const d = this.data;
        const response = await api(`/api/export?format=${format}`, { answer_id: d.answer_id, rows: d.rows,
          figures: d.figures || [], language: d.language === "en" ? "en" : "zh" });
        const url = URL.createObjectURL(await response.blob());
        const link = el("a", { href: url, download: `answer-${this.number}.${format}` });
        document.body.append(link);
        link.click();
        link.remove();
        setTimeout(() => URL.revokeObjectURL(url), 60000);
        say(t("exported"));
      } catch (err) {
        say(err.message);
      }
    }
  }

  /* -- the question box ------------------------------------------------------------------------ */
  function updateCount() {
    const box = $("question");
    const n = box.value.trim().length;
    const count = $("count");
    count.textContent = n ? (n > state.maxChars ? t("tooLong", n, state.maxChars) : t("chars", n, state.maxChars)) : "";
    count.classList.toggle("over", n > state.maxChars);
  }

  function newConversation() {
    state.conversationId = null;
    $("log").replaceChildren($("welcome") || el("div"));
    $("question").value = "";
    updateCount();
    $("question").focus();
  }

  function translatePage() {
    document.documentElement.lang = LANG === "zh" ? "zh-CN" : "en";
    document.title = t("title");
    for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
    for (const node of document.querySelectorAll("[data-i18n-placeholder]")) node.placeholder = t(node.dataset.i18nPlaceholder);
    $("examples").replaceChildren(...EXAMPLES.map((q) => el("button", { type: "button", text: q,
      onclick: () => { $("question").value = q; ask(q); } })));
  }

  function wire() {
    $("ask-form").addEventListener("submit", (event) => { event.preventDefault(); ask($("question").value); });
    $("question").addEventListener("keydown", (event) => {
      // Enter asks; Shift+Enter is a new line; never while an input method is composing Chinese
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
        event.preventDefault();
        ask($("question").value);
      }
    });
    $("question").addEventListener("input", updateCount);
    $("new-chat").addEventListener("click", newConversation);
    $("token-toggle").addEventListener("click", () => showTokenPanel(""));
    $("token-panel").addEventListener("submit", async (event) => {
      event.preventDefault();
      saveToken($("token-input").value);
      $("token-input").value = "";
      $("token-panel").hidden = true;
      if (await loadDocuments()) askLinkedQuestion(); // a linked question waits for a working token
    });
  }

  async function start() {
    translatePage();
    wire();
    loadToken();
    loadLinkedQuestion();
    try {
      const health = await (await api("/api/health")).json();
      state.maxChars = health.max_question_chars || state.maxChars;
      $("question").maxLength = state.maxChars;
      if (health.auth_required) {
        $("token-toggle").hidden = false;
        if (!state.token) {
          showTokenPanel("");
          $("corpus-summary").textContent = t("tokenHint");
          return;
        }
      }
    } catch (err) {
      $("corpus-summary").textContent = err.message;
      return;
    }
    const ready = await loadDocuments();
    $("question").focus();
    if (ready) askLinkedQuestion();
  }

  document.addEventListener("DOMContentLoaded", start);
})();
