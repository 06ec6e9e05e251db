// Shows why the last login failed; the relay redirects here with ?error=bad or ?error=wait&s=N.
'use strict';

(function () {
    const params = new URLSearchParams(window.location.search);
    const box = document.getElementById('login-error');
    const error = params.get('error');
    if (error === 'bad') {
        box.textContent = 'Wrong user name or password.';
    } else if (error === 'wait') {
        const seconds = parseInt(params.get('s') || '0', 10);
        box.textContent = 'Too many failed logins. Try again in ' +
            (seconds > 0 ? seconds + ' s.' : 'a moment.');
    } else {
        return;
    }
    box.hidden = false;
})();
