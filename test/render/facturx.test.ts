// Factur-X / ZUGFeRD and PDF/A output, checked with independent readers: qpdf, poppler (pdfinfo,
// pdffonts, pdfdetach) and xmllint against the official Factur-X 1.09 XSDs.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join, resolve } from "node:path";
import { JobError } from "../../core/runtime/protocol/errors.ts";
import { renderLayout } from "../../core/render/layout-engine.ts";
import { checkCiiXml, generateCiiXml } from "../../core/render/einvoice.ts";
import { xmpPacket } from "../../core/render/pdfa.ts";
import { jobOutput } from "../../plugins/pdf/output.ts";
import type { Layout } from "../../core/render/layout.ts";
import { pdfText, qpdfCheck, run } from "../helpers/pdf.ts";
import { tempDir } from "../helpers/tmp.ts";

const ROOT = resolve(import.meta.dir, "../..");
const EX = join(ROOT, "examples/facturx");
const XSD = join(import.meta.dir, "fixtures/factur-x-xsd");
const tmp = tempDir("docctl-facturx-");
afterAll(() => tmp.cleanup());

const job = JSON.parse(await Bun.file(join(EX, "job.json")).text()) as { payload: Record<string, any> };
const layout = JSON.parse(await Bun.file(join(EX, "layout.json")).text()) as Layout;
const base = await Bun.file(join(EX, "base.pdf")).bytes();
const invoiceBase = await Bun.file(join(ROOT, "examples/invoice/base.pdf")).bytes();

async function render(payload: Record<string, any>, b = base, l = layout, name = "out.pdf"): Promise<string> {
  const output = await jobOutput(payload);
  const out = await renderLayout(b, l, payload.data, { output });
  const path = join(tmp.path, name);
  await Bun.write(path, out.bytes);
  return path;
}

async function failure(p: Promise<unknown>): Promise<JobError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(JobError);
    return err as JobError;
  }
  throw new Error("expected a JobError");
}

describe("the Factur-X example", () => {
  let pdf = "";
  beforeAll(async () => {
    pdf = await render(job.payload, base, layout, "facturx.pdf");
  }, 120_000);

  test("passes qpdf --check and pdfinfo shows the job's metadata without a warning", async () => {
    await qpdfCheck(pdf);
    const info = await run(["pdfinfo", pdf]);
    expect(info.code).toBe(0);
    expect(info.stderr).toBe(""); // no "Invalid XRef entry", no syntax warning
    expect(info.stdout).toMatch(/^Title:\s+Rechnung INV-2026-0042$/m);
    expect(info.stdout).toMatch(/^Author:\s+ACME Werkzeuge GmbH$/m);
    expect(info.stdout).toMatch(/^Subject:\s+Rechnung an Société Générale d'Électricité$/m);
    expect(info.stdout).toMatch(/^Keywords:\s+Rechnung Factur-X ZUGFeRD$/m);
    expect(info.stdout).toMatch(/^CreationDate:\s+Mon Nov 23 09:30:00 2026 UTC$/m);
    expect(info.stdout).toMatch(/^Producer:\s+docctl$/m);
    expect(info.stdout).toMatch(/^Metadata Stream:\s+yes$/m);
    expect(info.stdout).toMatch(/^Encrypted:\s+no$/m);
  });

  test("pdffonts shows every font embedded", async () => {
    const r = await run(["pdffonts", pdf]);
    const rows = r.stdout.trim().split("\n").slice(2);
    expect(rows.length).toBeGreaterThanOrEqual(2);
    for (const row of rows) expect(row.split(/\s+/).at(-5)).toBe("yes"); // the "emb" column
  });

  test("the XMP says PDF/A-3B and carries the Factur-X extension schema with the job's profile", async () => {
    const meta = (await run(["pdfinfo", "-meta", pdf])).stdout;
    expect(meta).toContain("<pdfaid:part>3</pdfaid:part>");
    expect(meta).toContain("<pdfaid:conformance>B</pdfaid:conformance>");
    expect(meta).toContain("<pdfaSchema:namespaceURI>urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#</pdfaSchema:namespaceURI>");
    expect(meta).toContain("<fx:DocumentFileName>factur-x.xml</fx:DocumentFileName>");
    expect(meta).toContain("<fx:ConformanceLevel>EN 16931</fx:ConformanceLevel>");
    expect(meta).toContain("<xmp:CreateDate>2026-11-23T09:30:00Z</xmp:CreateDate>");
    // the XMP is well-formed XML
    const file = join(tmp.path, "xmp.xml");
    await Bun.write(file, meta);
    expect((await run(["xmllint", "--noout", file])).code).toBe(0);
  });

  test("the catalog has the sRGB OutputIntent, /Lang, and /AF naming factur-x.xml as the Alternative", async () => {
    const r = await run(["qpdf", "--json=2", "--json-key=qpdf", pdf]);
    const objects = JSON.parse(r.stdout).qpdf[1] as Record<string, { value: any; stream?: { dict: any } }>;
    const get = (ref: string) => objects[`obj:${ref}`].value ?? objects[`obj:${ref}`].stream?.dict;
    const trailer = objects.trailer.value;
    expect(trailer["/ID"]).toHaveLength(2);
    const catalog = get(trailer["/Root"]);
    expect(catalog["/Lang"]).toBe("u:de-DE");
    expect(catalog["/OutputIntents"]).toHaveLength(1);
    expect(catalog["/OutputIntents"][0]["/S"]).toBe("/GTS_PDFA1");
    expect(catalog["/OutputIntents"][0]["/OutputConditionIdentifier"]).toBe("u:sRGB IEC61966-2.1");
    const icc = objects[`obj:${catalog["/OutputIntents"][0]["/DestOutputProfile"]}`] as any;
    expect(icc.stream.dict["/N"]).toBe(3);
    expect(catalog["/AF"]).toHaveLength(1);
    const spec = get(catalog["/AF"][0]);
    expect(spec["/AFRelationship"]).toBe("/Alternative");
    expect(spec["/F"]).toBe("u:factur-x.xml");
    expect(catalog["/Names"]["/EmbeddedFiles"]["/Names"]).toEqual(["u:factur-x.xml", catalog["/AF"][0]]);
    expect(get(catalog["/Metadata"])["/Subtype"]).toBe("/XML");
  });

  test("pdfdetach reads factur-x.xml back and it validates against the Factur-X EN 16931 XSD", async () => {
    const list = await run(["pdfdetach", "-list", pdf]);
    expect(list.stdout).toContain("1 embedded files");
    expect(list.stdout).toContain("factur-x.xml");
    const xml = join(tmp.path, "factur-x.xml");
    const save = await run(["pdfdetach", "-save", "1", "-o", xml, pdf]);
    expect(save.code).toBe(0);
    const text = await Bun.file(xml).text();
    expect(text).toContain("<ram:ID>urn:cen.eu:en16931:2017</ram:ID>");
    expect(text).toContain("INV-2026-0042");
    expect(text).toContain("<ram:GrandTotalAmount>297.50</ram:GrandTotalAmount>");
    const v = await run(["xmllint", "--noout", "--schema", join(XSD, "en16931/Factur-X_EN16931.xsd"), xml]);
    expect(v.stderr).toContain("validates");
    expect(v.code).toBe(0);
  });

  test("the visible invoice prints the same numbers as the XML", async () => {
    const text = await pdfText(pdf);
    expect(text).toContain("INV-2026-0042");
    expect(text).toContain("297,50 €");
    expect(text).toContain("Drehmomentschlüssel");
  });
});

describe("profiles and given XML", () => {
  test("MINIMUM and EXTENDED: the generated XML declares the profile and validates against that profile's XSD", async () => {
    const inv = job.payload.facturx.invoice;
    for (const [profile, xsd, guideline] of [
      ["MINIMUM", "minimum/Factur-X_MINIMUM.xsd", "urn:factur-x.eu:1p0:minimum"],
      ["EXTENDED", "extended/Factur-X_EXTENDED.xsd", "urn:cen.eu:en16931:2017#conformant#urn:factur-x.eu:1p0:extended"],
    ] as const) {
      const xml = await generateCiiXml(inv, profile);
      expect(xml).toContain(`<ram:ID>${guideline}</ram:ID>`);
      const file = join(tmp.path, `${profile}.xml`);
      await Bun.write(file, xml);
      const v = await run(["xmllint", "--noout", "--schema", join(XSD, xsd), file]);
      expect(v.code).toBe(0);
    }
  }, 120_000);

  test("given XML is embedded as it is, and the XMP names its profile", async () => {
    const xml = await generateCiiXml(job.payload.facturx.invoice, "MINIMUM");
    const pdf = await render({ ...job.payload, facturx: { profile: "MINIMUM", xml } }, base, layout, "given.pdf");
    const saved = join(tmp.path, "given.xml");
    await run(["pdfdetach", "-save", "1", "-o", saved, pdf]);
    expect(await Bun.file(saved).text()).toBe(xml);
    expect((await run(["pdfinfo", "-meta", pdf])).stdout).toContain("<fx:ConformanceLevel>MINIMUM</fx:ConformanceLevel>");
  }, 120_000);

  test("XML of another profile than the job's is refused, naming both", async () => {
    const xml = await generateCiiXml(job.payload.facturx.invoice, "MINIMUM");
    const err = await failure(jobOutput({ facturx: { profile: "EN 16931", xml } }));
    expect(err.code).toBe("BAD_EINVOICE");
    expect(err.message).toContain('"urn:factur-x.eu:1p0:minimum"');
    expect(err.message).toContain("EN 16931");
  }, 120_000);

  test("invoice data with a missing and a wrong field is refused before rendering, each field named", async () => {
    const inv = structuredClone(job.payload.facturx.invoice);
    delete inv["ubl:Invoice"]["cbc:IssueDate"];
    inv["ubl:Invoice"]["cbc:DocumentCurrencyCode"] = "EURO";
    const err = await failure(jobOutput({ facturx: { profile: "EN 16931", invoice: inv } }));
    expect(err.code).toBe("BAD_EINVOICE");
    expect(err.message).toContain("facturx.invoice.ubl:Invoice.cbc:IssueDate: is required");
    expect(err.message).toContain("facturx.invoice.ubl:Invoice.cbc:DocumentCurrencyCode");
  }, 120_000);
});

describe("checkCiiXml", () => {
  const good = `<?xml version="1.0"?><rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100" xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100" xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100">
<rsm:ExchangedDocumentContext><ram:GuidelineSpecifiedDocumentContextParameter><ram:ID>urn:factur-x.eu:1p0:minimum</ram:ID></ram:GuidelineSpecifiedDocumentContextParameter></rsm:ExchangedDocumentContext>
<rsm:ExchangedDocument><ram:ID>1</ram:ID><ram:TypeCode>380</ram:TypeCode><ram:IssueDateTime><udt:DateTimeString format="102">20261123</udt:DateTimeString></ram:IssueDateTime></rsm:ExchangedDocument>
<rsm:SupplyChainTradeTransaction><ram:ApplicableHeaderTradeAgreement><ram:SellerTradeParty><ram:Name>S</ram:Name></ram:SellerTradeParty><ram:BuyerTradeParty><ram:Name>B</ram:Name></ram:BuyerTradeParty></ram:ApplicableHeaderTradeAgreement>
<ram:ApplicableHeaderTradeDelivery/><ram:ApplicableHeaderTradeSettlement><ram:InvoiceCurrencyCode>EUR</ram:InvoiceCurrencyCode><ram:SpecifiedTradeSettlementHeaderMonetarySummation><ram:TaxBasisTotalAmount>1</ram:TaxBasisTotalAmount><ram:GrandTotalAmount>1</ram:GrandTotalAmount><ram:DuePayableAmount>1</ram:DuePayableAmount></ram:SpecifiedTradeSettlementHeaderMonetarySummation></ram:ApplicableHeaderTradeSettlement></rsm:SupplyChainTradeTransaction></rsm:CrossIndustryInvoice>`;
  const code = (f: () => void) => {
    try {
      f();
    } catch (err) {
      return `${(err as JobError).code}: ${(err as Error).message}`;
    }
    return "ok";
  };

  test("a minimal MINIMUM invoice passes", () => {
    expect(code(() => checkCiiXml(good, "MINIMUM"))).toBe("ok");
  });
  test("XML that is not well-formed is refused with its position", () => {
    expect(code(() => checkCiiXml(good.replace("</ram:Name></ram:SellerTradeParty>", "</ram:SellerTradeParty>"), "MINIMUM"))).toMatch(/^BAD_EINVOICE: facturx.xml is not well-formed XML: .*\d+:\d+/);
  });
  test("UBL (or anything but a CII invoice) is refused", () => {
    expect(code(() => checkCiiXml(`<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"/>`, "MINIMUM"))).toContain("must be rsm:CrossIndustryInvoice");
  });
  test("a missing invoice number is named with its business term", () => {
    expect(code(() => checkCiiXml(good.replace("<ram:ID>1</ram:ID>", ""), "MINIMUM"))).toContain("rsm:ExchangedDocument/ram:ID (BT-1, the invoice number)");
  });
});

describe("PDF/A without Factur-X, and what cannot be PDF/A", () => {
  test("pdfa 2b: PDF/A-2B in the XMP, no attachment", async () => {
    const pdf = await render({ data: job.payload.data, pdfa: "2b", metadata: { title: "Archiv" } }, base, layout, "a2b.pdf");
    await qpdfCheck(pdf);
    expect((await run(["pdfinfo", "-meta", pdf])).stdout).toContain("<pdfaid:part>2</pdfaid:part>");
    expect((await run(["pdfdetach", "-list", pdf])).stdout).toContain("0 embedded files");
  });

  test("a base PDF whose fonts are not embedded is refused for PDF/A, naming the fonts and their pages", async () => {
    const err = await failure(render({ data: { items: [] }, pdfa: "2b" }, invoiceBase, { fields: [] }, "no.pdf"));
    expect(err.code).toBe("NOT_PDFA");
    expect(err.message).toContain("Helvetica (page 1)");
    expect(err.message).toContain("Helvetica-Bold (page 1)");
    expect(err.message).toContain("re-export the base PDF with its fonts embedded");
  });

  test("metadata without PDF/A replaces the base's title", async () => {
    const pdf = await render({ data: {}, metadata: { title: "Mein Dokument", lang: "de" } }, invoiceBase, { fields: [] }, "meta.pdf");
    const info = await run(["pdfinfo", pdf]);
    expect(info.stdout).toMatch(/^Title:\s+Mein Dokument$/m);
    expect(info.stdout).not.toContain("Invoice (base)");
  });

  test("a Factur-X job cannot ask for PDF/A-2b", async () => {
    const err = await failure(jobOutput({ pdfa: "2b", facturx: { xml: "<x/>" } }));
    expect(err.code).toBe("BAD_PAYLOAD");
  });

  test("xmpPacket escapes text and is well-formed", () => {
    const x = xmpPacket({ part: 3, title: `A <b> & "c"`, created: new Date(0), modified: new Date(0), producer: "docctl" });
    expect(x).toContain("A &lt;b&gt; &amp; &quot;c&quot;");
  });
});
