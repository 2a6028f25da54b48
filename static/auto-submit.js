// Sends the form marked data-auto-submit as soon as the page is read (the
// accept page of an invitation that asks no confirmation). Without
// JavaScript the form's own button does the same.
/* global document */
const form = document.querySelector('form[data-auto-submit]')
if (form) form.requestSubmit()
