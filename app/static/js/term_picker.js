// Turns each textarea.term-list (one finding per line) into chips with autocomplete from /api/v1/terms.
// Without JavaScript the textarea itself is the form; with it, the textarea stays the value the form sends.
(function () {
  "use strict";

  function debounce(fn, ms) {
    var timer = null;
    return function () {
      var args = arguments;
      clearTimeout(timer);
      timer = setTimeout(function () { fn.apply(null, args); }, ms);
    };
  }

  function setup(textarea, index) {
    var labels = {};
    try { labels = JSON.parse(textarea.dataset.labels || "{}"); } catch (e) { labels = {}; }
    var entries = textarea.value.split("\n").map(function (s) { return s.trim(); }).filter(Boolean);
    var listId = "term-options-" + index;

    var box = document.createElement("div");
    box.className = "term-picker";
    var chips = document.createElement("ul");
    chips.className = "chips";
    var input = document.createElement("input");
    input.type = "text";
    input.className = "term-input";
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", listId);
    input.placeholder = textarea.dataset.placeholder || "";
    input.autocomplete = "off";
    var label = textarea.closest("label");
    if (label) {
      input.setAttribute("aria-label", label.querySelector("span").textContent);
    }
    var options = document.createElement("ul");
    options.className = "term-options";
    options.id = listId;
    options.setAttribute("role", "listbox");
    options.hidden = true;
    box.appendChild(chips);
    box.appendChild(input);
    box.appendChild(options);
    textarea.hidden = true;
    var hint = document.getElementById(textarea.getAttribute("aria-describedby") || "");
    if (hint) { hint.hidden = true; }  // "one per line" is for the plain text area
    textarea.parentNode.insertBefore(box, textarea);
    var active = -1;
    var items = [];

    function sync() {
      textarea.value = entries.join("\n");
      chips.innerHTML = "";
      entries.forEach(function (entry, i) {
        var chip = document.createElement("li");
        chip.className = "chip";
        var text = document.createElement("span");
        text.textContent = labels[entry] || entry;
        text.title = entry;
        var remove = document.createElement("button");
        remove.type = "button";
        remove.className = "chip-remove";
        remove.textContent = "×";
        remove.setAttribute("aria-label", (textarea.dataset.removeLabel || "Remove") + " " + text.textContent);
        remove.addEventListener("click", function () {
          entries.splice(i, 1);
          sync();
          input.focus();
        });
        chip.appendChild(text);
        chip.appendChild(remove);
        chips.appendChild(chip);
      });
    }

    function close() {
      options.hidden = true;
      options.innerHTML = "";
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      items = [];
      active = -1;
    }

    function add(value, name) {
      value = value.trim();
      if (!value) { return; }
      if (name) { labels[value] = name; }
      if (entries.indexOf(value) < 0) { entries.push(value); }
      input.value = "";
      close();
      sync();
    }

    function highlight(i) {
      items.forEach(function (item, j) { item.setAttribute("aria-selected", j === i ? "true" : "false"); });
      active = i;
      if (i >= 0) { input.setAttribute("aria-activedescendant", items[i].id); }
    }

    var complete = debounce(function () {
      var q = input.value.trim();
      if (q.length < 2) { close(); return; }
      var url = textarea.dataset.termsUrl + "?limit=8&lang=" + encodeURIComponent(textarea.dataset.lang) +
        "&q=" + encodeURIComponent(q);
      fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (r) { return r.ok ? r.json() : []; })
        .then(function (found) {
          if (input.value.trim() !== q) { return; }
          close();
          found.forEach(function (term, j) {
            var li = document.createElement("li");
            li.id = listId + "-" + j;
            li.setAttribute("role", "option");
            li.dataset.id = term.id;
            li.textContent = term.name;
            if (term.matched && term.matched.toLowerCase() !== term.name.toLowerCase()) {
              var hint = document.createElement("small");
              hint.textContent = " " + term.matched;
              li.appendChild(hint);
            }
            li.addEventListener("mousedown", function (event) {
              event.preventDefault();
              add(term.id, term.name);
            });
            options.appendChild(li);
            items.push(li);
          });
          if (items.length) {
            options.hidden = false;
            input.setAttribute("aria-expanded", "true");
          }
        })
        .catch(close);
    }, 150);

    input.addEventListener("input", complete);
    input.addEventListener("blur", function () { setTimeout(close, 100); });
    input.addEventListener("keydown", function (event) {
      if (event.key === "ArrowDown" && items.length) {
        event.preventDefault();
        highlight((active + 1) % items.length);
      } else if (event.key === "ArrowUp" && items.length) {
        event.preventDefault();
        highlight(active <= 0 ? items.length - 1 : active - 1);
      } else if (event.key === "Enter") {
        if (active >= 0) {
          event.preventDefault();
          add(items[active].dataset.id, items[active].firstChild.textContent);
        } else if (input.value.trim()) {
          event.preventDefault();
          add(input.value, null);  // free text: the server matches it, or offers suggestions
        }
      } else if (event.key === "Escape") {
        close();
      } else if (event.key === "Backspace" && !input.value && entries.length) {
        entries.pop();
        sync();
      }
    });
    // Text still in the box when the form is sent counts as an entry.
    textarea.form.addEventListener("submit", function () {
      if (input.value.trim()) { add(input.value, null); }
    });
    sync();
  }

  document.querySelectorAll("textarea.term-list").forEach(setup);
})();
