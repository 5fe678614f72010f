// rebind demo: shows the simulated Telegram chat (GET demo/chat, every second) and sends what
// the trader types or taps (POST demo/send, demo/tap) and the scenario buttons (demo/scenario).
// Bot messages are Telegram HTML: only Telegram's tags are kept, everything else becomes text.
"use strict";

const ALLOWED = new Set(["B", "STRONG", "I", "EM", "U", "INS", "S", "STRIKE", "DEL", "CODE", "PRE", "A", "BLOCKQUOTE", "TG-SPOILER"]);
let lastRendered = "";

function telegramHTML(source) {
  const parsed = new DOMParser().parseFromString("<body>" + source + "</body>", "text/html");
  const out = document.createDocumentFragment();
  function copy(from, to) {
    for (const node of from.childNodes) {
      if (node.nodeType === Node.TEXT_NODE) {
        to.appendChild(document.createTextNode(node.textContent));
      } else if (node.nodeType === Node.ELEMENT_NODE && ALLOWED.has(node.tagName)) {
        const element = document.createElement(node.tagName === "TG-SPOILER" ? "span" : node.tagName);
        if (node.tagName === "A") {
          const href = node.getAttribute("href") || "";
          if (/^https?:\/\//i.test(href)) { element.href = href; element.target = "_blank"; element.rel = "noopener noreferrer"; }
        }
        copy(node, element);
        to.appendChild(element);
      } else if (node.nodeType === Node.ELEMENT_NODE) {
        copy(node, to);
      }
    }
  }
  copy(parsed.body, out);
  return out;
}

async function post(path, body) {
  const answer = await fetch(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  if (!answer.ok) throw new Error(path + " answered " + answer.status);
  return answer.json().catch(() => ({}));
}

function render(messages) {
  const chat = document.getElementById("chat");
  const key = JSON.stringify(messages);
  if (key === lastRendered) return;
  lastRendered = key;
  const atBottom = chat.scrollTop + chat.clientHeight >= chat.scrollHeight - 30;
  chat.replaceChildren();
  if (messages.length === 0) {
    const empty = document.createElement("p");
    empty.className = "empty";
    empty.textContent = chat.dataset.empty || "";
    chat.appendChild(empty);
  }
  for (const message of messages) {
    const bubble = document.createElement("div");
    bubble.className = "message " + (message.from_bot ? "bot" : "user");
    bubble.dataset.id = message.id;
    bubble.appendChild(message.html ? telegramHTML(message.text) : document.createTextNode(message.text));
    if (message.edited) {
      const edited = document.createElement("span");
      edited.className = "edited";
      edited.textContent = chat.dataset.edited || "";
      bubble.appendChild(edited);
    }
    if (message.buttons.length > 0) {
      const keyboard = document.createElement("div");
      keyboard.className = "keyboard";
      for (const row of message.buttons) {
        const line = document.createElement("div");
        line.className = "row";
        for (const button of row) {
          let control;
          if (button.url && /^https?:\/\//i.test(button.url)) {
            control = document.createElement("a");
            control.href = button.url;
            control.target = "_blank";
            control.rel = "noopener noreferrer";
          } else {
            control = document.createElement("button");
            control.type = "button";
            control.addEventListener("click", () => post("demo/tap", { message_id: message.id, data: button.data }).then(refresh, refresh));
          }
          control.textContent = button.text;
          line.appendChild(control);
        }
        keyboard.appendChild(line);
      }
      bubble.appendChild(keyboard);
    }
    chat.appendChild(bubble);
  }
  if (atBottom) chat.scrollTop = chat.scrollHeight;
}

async function refresh() {
  try {
    const answer = await fetch("demo/chat", { cache: "no-store" });
    if (answer.ok) render((await answer.json()).messages);
  } catch (error) {
    // The demo stopped; the page stays as it was.
  }
}

document.addEventListener("DOMContentLoaded", () => {
  const chat = document.getElementById("chat");
  chat.dataset.empty = chat.textContent.trim();
  document.getElementById("compose").addEventListener("submit", (event) => {
    event.preventDefault();
    const input = document.getElementById("message");
    const text = input.value.trim();
    if (!text) return;
    input.value = "";
    post("demo/send", { text }).then(refresh, refresh);
  });
  for (const button of document.querySelectorAll("button.scenario")) {
    button.addEventListener("click", () => {
      post("demo/scenario", { name: button.dataset.scenario }).then(() => { button.classList.add("sent"); refresh(); }, refresh);
    });
  }
  refresh();
  setInterval(refresh, 1000);
});
