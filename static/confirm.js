// Buttons that disrupt someone (disable an account, replace a password, revoke a token) ask first.
document.addEventListener("submit", function (event) {
  var message = event.target.getAttribute("data-confirm");
  if (message && !window.confirm(message)) {
    event.preventDefault();
  }
});
