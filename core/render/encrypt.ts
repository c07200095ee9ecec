// Password protection with permissions (print, copy, modify ...), AES-256 by default: the finished PDF
// re-saved encrypted by @cantoo/pdf-lib (pdf-lib's maintained fork, which writes the standard security
// handler; pdf-lib itself cannot encrypt). Loaded on first use.

/** What a reader may do with the user password (the owner password allows everything). */
export interface PdfPermissions {
  printing?: boolean | "lowResolution" | "highResolution";
  modifying?: boolean;
  copying?: boolean;
  annotating?: boolean;
  fillingForms?: boolean;
  contentAccessibility?: boolean;
  documentAssembly?: boolean;
}

export interface EncryptOptions {
  /** opens the document with full rights */
  ownerPassword: string;
  /** opens the document with `permissions` (default "": anyone can open it, within the permissions) */
  userPassword?: string;
  /** default: nothing allowed but reading (and accessibility tools) */
  permissions?: PdfPermissions;
}

/** The PDF encrypted with AES-256 and the permissions. */
export async function encryptPdf(bytes: Uint8Array, o: EncryptOptions): Promise<Uint8Array> {
  const { PDFDocument } = await import("@cantoo/pdf-lib");
  const doc = await PDFDocument.load(bytes, { updateMetadata: false });
  doc.encrypt({
    ownerPassword: o.ownerPassword,
    userPassword: o.userPassword ?? "",
    permissions: { contentAccessibility: true, ...(o.permissions ?? {}) },
  });
  return await doc.save({ useObjectStreams: false });
}
