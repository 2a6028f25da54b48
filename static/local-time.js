// Puts every <time datetime> of the page into the reader's own time zone:
// the exact time on hover (title), and as the text where the page asks for
// it (data-local). Without this script the server's UTC times stay.
/* global document */
for (const element of document.querySelectorAll('time[datetime]')) {
  const date = new Date(element.getAttribute('datetime'))
  if (Number.isNaN(date.getTime())) continue
  const local = date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' })
  element.title = local
  if (element.hasAttribute('data-local')) element.textContent = local
}
