import QRCode from 'qrcode'

/** A PNG image of a QR code holding `text` (an invitation's accept link). */
export function qrPng(text: string): Promise<Buffer> {
  // Error correction M survives a phone photographing a screen; the margin is the standard quiet zone.
  return QRCode.toBuffer(text, { type: 'png', errorCorrectionLevel: 'M', margin: 4, scale: 6 })
}
