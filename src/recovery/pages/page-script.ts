/**
 * The pages' one script, in the browser: takes the code from the URL fragment (which never
 * reaches a server), clears it from the address bar and history, and POSTs JSON to the route
 * the form names. Plain ES2017, no dependencies.
 */
export const PAGE_SCRIPT = `
(function () {
  var form = document.getElementById('form');
  var status = document.getElementById('status');
  var codeField = document.getElementById('code');
  var fromUrl = new URLSearchParams(location.hash.slice(1)).get('token');
  if (fromUrl) {
    codeField.value = fromUrl;
    document.getElementById('code-row').hidden = true;
    history.replaceState(null, '', location.pathname);
  }
  form.hidden = false;
  form.addEventListener('submit', function (event) {
    event.preventDefault();
    var body = { token: codeField.value.trim() };
    var password = document.getElementById('password');
    if (password) {
      if (password.value !== document.getElementById('repeat').value) {
        status.textContent = 'The two passwords differ.';
        return;
      }
      body.newPassword = password.value;
    }
    var button = form.querySelector('button');
    button.disabled = true;
    status.textContent = 'Sending...';
    fetch(form.getAttribute('data-action'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      credentials: 'omit',
      referrerPolicy: 'no-referrer'
    }).then(function (response) {
      if (response.ok) {
        form.hidden = true;
        status.textContent = form.getAttribute('data-done');
        return;
      }
      return response.json().then(function (problem) {
        button.disabled = false;
        status.textContent = problem.detail || 'That did not work; try again.';
      });
    }).catch(function () {
      button.disabled = false;
      status.textContent = 'The service could not be reached; try again.';
    });
  });
})();
`;

export const PAGE_STYLE = `
body { font: 16px/1.5 system-ui, sans-serif; max-width: 28rem; margin: 3rem auto; padding: 0 1rem; color: #222; }
label { display: block; margin: 1rem 0 0.25rem; }
input { box-sizing: border-box; width: 100%; padding: 0.5rem; font: inherit; }
button { margin-top: 1.25rem; padding: 0.5rem 1rem; font: inherit; }
#status { margin-top: 1rem; font-weight: 600; }
`;
