/**
 * A PNG image of a QR code holding `text` (an invitation's accept link). The library (and its PNG encoder) is
 * imported at the first QR code asked for, not with the server: most starts of it never draw one.
 */
export async function qrPng(text: string): Promise<Buffer> {
  const { default: QRCode } = await import('qrcode')
  // Error correction M survives a phone photographing a screen; the margin is the standard quiet zone.
  return QRCode.toBuffer(text, { type: 'png', errorCorrectionLevel: 'M', margin: 4, scale: 6 })
}
