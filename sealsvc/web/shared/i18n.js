// The pages' two languages (Chinese first, English on request), shared by every page of
// sealsvc/web/. A page gives its own strings as {key: {zh, en}}; elements marked
// data-i18n="key" get their text from it, and t(key, ...) gives the rest. The choice is
// kept in localStorage so that it holds on every page and visit. Text only: callers put
// it into the page with textContent, never as HTML.
const STORAGE_KEY = "sealsvc.lang";
const LANGS = ["zh", "en"];

function stored() {
  try {
    const v = window.localStorage.getItem(STORAGE_KEY);
    return LANGS.includes(v) ? v : null;
  } catch {
    return null; // storage refused (private mode): Chinese, not remembered
  }
}

export function makeI18n(strings) {
  let lang = stored() || "zh";
  const listeners = [];

  // The string `key` in the current language; {0}, {1}... are replaced by the arguments.
  function t(key, ...args) {
    const entry = strings[key];
    const text = entry ? entry[lang] ?? entry.zh : key;
    return text.replace(/\{(\d+)\}/g, (_, i) => String(args[Number(i)] ?? ""));
  }

  function apply(root = document) {
    document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
    for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
    for (const el of root.querySelectorAll("[data-i18n-label]"))
      el.setAttribute("aria-label", t(el.dataset.i18nLabel));
  }

  function set(next) {
    if (!LANGS.includes(next)) return;
    lang = next;
    try {
      window.localStorage.setItem(STORAGE_KEY, lang);
    } catch {
      // not remembered; the page still switches
    }
    apply();
    for (const f of listeners) f(lang);
  }

  return {
    t,
    apply,
    set,
    get lang() {
      return lang;
    },
    onChange(f) {
      listeners.push(f);
    },
    // A button that switches to the other language and names it in that language.
    bindToggle(button) {
      const show = () => {
        button.textContent = lang === "zh" ? "English" : "中文";
        button.lang = lang === "zh" ? "en" : "zh-CN";
      };
      button.addEventListener("click", () => set(lang === "zh" ? "en" : "zh"));
      listeners.push(show);
      show();
    },
  };
}
