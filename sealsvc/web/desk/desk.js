// The clerk desk's first screen (docs/desk.md): asks GET /api/v1/session whether a session
// is open, else shows the login form; logs in with POST /api/v1/session (the cookie is
// HttpOnly: this script never sees it, only the CSRF token the answer carries); lists the
// seals from GET /api/v1/seals; logs out with DELETE /api/v1/session and the CSRF token.
// Text goes into the page through textContent only, never as HTML.

const texts = {
  zh: {
    title: '印章工作台', lang: 'English', 'login-heading': '登录', 'login-label': '登录号',
    'password-label': '密码', 'login-submit': '登录', logout: '退出登录',
    'seals-heading': '我可以使用的印章', 'seals-empty': '目前没有可使用的印章授权。',
    who: (s) => `${s.person.name}（${s.institution.name}）`,
    'bad-login': '登录号或密码错误。',
    'account-locked': (min) => `密码错误次数过多，账户已锁定，请 ${min} 分钟后再试或联系管理员。`,
    'no-institution': '您尚未在任何单位任职，请联系管理员。',
    'missing': '请输入登录号和密码。', 'failed': '请求失败，请稍后再试。',
    kind: { official: '公章', contract: '合同专用章', finance: '财务专用章', personal: '个人名章' },
    project: '项目', window: '有效期', 'uses-left': '剩余次数', unlimited: '不限', locked: '已锁定',
  },
  en: {
    title: 'Seal desk', lang: '中文', 'login-heading': 'Log in', 'login-label': 'Login number',
    'password-label': 'Password', 'login-submit': 'Log in', logout: 'Log out',
    'seals-heading': 'Seals I may use', 'seals-empty': 'No seal is granted to you now.',
    who: (s) => `${s.person.name} (${s.institution.name})`,
    'bad-login': 'Wrong login number or password.',
    'account-locked': (min) => `Too many wrong passwords: the account is locked. Try again in ${min} minute(s) or ask an administrator.`,
    'no-institution': 'You have no role in any institution: ask an administrator.',
    'missing': 'Enter your login number and password.', 'failed': 'The request failed; try again later.',
    kind: { official: 'Official seal', contract: 'Contract seal', finance: 'Finance seal', personal: 'Personal seal' },
    project: 'Project', window: 'Valid', 'uses-left': 'Uses left', unlimited: 'no limit', locked: 'Locked',
  },
};

let lang = localStorage.getItem('desk-lang') === 'en' ? 'en' : 'zh';
let session = null;
let seals = [];
let lastError = null; // [key, argument] of the error shown, so a language switch redraws it

const $ = (id) => document.getElementById(id);
const t = (key) => texts[lang][key];

function applyTexts() {
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
  document.title = t('title');
  for (const el of document.querySelectorAll('[data-t]')) el.textContent = t(el.dataset.t);
  showError(lastError);
  if (session) renderSeals();
}

function showError(error) {
  lastError = error;
  const p = $('login-error');
  if (!error) {
    p.hidden = true;
    p.textContent = '';
    return;
  }
  const text = t(error[0]);
  p.textContent = typeof text === 'function' ? text(error[1]) : text;
  p.hidden = false;
}

function day(iso) {
  return iso ? iso.slice(0, 10) : '';
}

function sealCard(seal) {
  const li = document.createElement('li');
  li.className = 'seal';
  li.dataset.seal = seal.id;
  const img = document.createElement('img');
  img.src = seal.picture;
  img.alt = seal.name;
  const h3 = document.createElement('h3');
  h3.textContent = seal.name;
  const kind = document.createElement('p');
  kind.textContent = t('kind')[seal.kind] || seal.kind;
  const inst = document.createElement('p');
  inst.textContent = seal.institution.name;
  li.append(img, h3, kind, inst);
  if (seal.locked) {
    const locked = document.createElement('p');
    locked.className = 'locked';
    locked.textContent = t('locked');
    li.append(locked);
  }
  const grants = document.createElement('ul');
  for (const g of seal.grants || []) {
    const item = document.createElement('li');
    const left = g.uses_left === null ? t('unlimited') : String(g.uses_left);
    item.textContent = `${g.project ? `${t('project')} ${g.project} · ` : ''}${t('window')} ` +
      `${day(g.not_before)} – ${day(g.not_after)} · ${t('uses-left')} ${left}`;
    grants.append(item);
  }
  li.append(grants);
  return li;
}

function renderSeals() {
  $('who').textContent = t('who')(session);
  $('seals').replaceChildren(...seals.map(sealCard));
  $('seals-empty').hidden = seals.length > 0;
}

async function showSeals() {
  const answer = await fetch('/api/v1/seals', { credentials: 'same-origin' });
  if (answer.status === 401) return showLogin();
  seals = answer.ok ? (await answer.json()).seals : [];
  $('login-view').hidden = true;
  $('seals-view').hidden = false;
  renderSeals();
}

function showLogin() {
  session = null;
  seals = [];
  $('seals-view').hidden = true;
  $('login-view').hidden = false;
  $('login').focus();
}

async function login(event) {
  event.preventDefault();
  const form = $('login-form');
  const login = form.login.value.trim();
  const password = form.password.value;
  if (!login || !password) return showError(['missing']);
  $('login-submit').disabled = true;
  try {
    const answer = await fetch('/api/v1/session', {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ login, password }),
    });
    form.password.value = '';
    if (answer.status === 201) {
      session = await answer.json();
      showError(null);
      await showSeals();
      return;
    }
    const problem = await answer.json().catch(() => ({}));
    if (answer.status === 423) {
      const seconds = Number(answer.headers.get('Retry-After')) || 60;
      showError(['account-locked', Math.ceil(seconds / 60)]);
    } else if (problem.code === 'bad-login' || problem.code === 'no-institution') {
      showError([problem.code]);
    } else {
      showError(['failed']);
    }
  } catch {
    showError(['failed']);
  } finally {
    $('login-submit').disabled = false;
  }
}

async function logout() {
  if (session) {
    await fetch('/api/v1/session', {
      method: 'DELETE',
      credentials: 'same-origin',
      headers: { 'X-CSRF-Token': session.csrf_token },
    }).catch(() => null);
  }
  showLogin();
}

async function start() {
  $('lang').addEventListener('click', () => {
    lang = lang === 'zh' ? 'en' : 'zh';
    localStorage.setItem('desk-lang', lang);
    applyTexts();
  });
  $('login-form').addEventListener('submit', login);
  $('logout').addEventListener('click', logout);
  applyTexts();
  const answer = await fetch('/api/v1/session', { credentials: 'same-origin' }).catch(() => null);
  if (answer && answer.ok) {
    session = await answer.json();
    await showSeals();
  } else {
    showLogin();
  }
}

start();
