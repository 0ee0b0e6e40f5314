// benchbig is a large Go binary (much of the standard library linked in) for
// measuring gopry's attach time. -wait: print READY and sleep until killed.
package main

import (
	"archive/tar"
	"archive/zip"
	"compress/bzip2"
	"compress/flate"
	"compress/gzip"
	"compress/lzw"
	"compress/zlib"
	"crypto/aes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha512"
	"crypto/tls"
	"crypto/x509"
	"database/sql"
	"debug/dwarf"
	"debug/elf"
	"debug/gosym"
	"debug/macho"
	"debug/pe"
	"encoding/asn1"
	"encoding/csv"
	"encoding/gob"
	"encoding/json"
	"encoding/xml"
	"expvar"
	"fmt"
	"go/ast"
	"go/doc"
	"go/format"
	"go/parser"
	"go/printer"
	"go/token"
	"go/types"
	"html/template"
	"image/gif"
	"image/jpeg"
	"image/png"
	"math/big"
	"mime/multipart"
	"net/http"
	"net/http/httputil"
	"net/mail"
	"net/rpc"
	"net/smtp"
	"os"
	"regexp"
	"text/template/parse"
	"time"
)

// Referencing one symbol of each package keeps it linked in.
var keep = []interface{}{
	tar.NewReader, zip.NewReader, bzip2.NewReader, flate.NewReader, gzip.NewReader,
	lzw.NewReader, zlib.NewReader, aes.NewCipher, ecdsa.Sign, ed25519.Sign, rsa.SignPKCS1v15,
	sha512.New, tls.Dial, x509.ParseCertificate, sql.Open, dwarf.New, elf.Open, gosym.NewTable,
	macho.Open, pe.Open, asn1.Marshal, csv.NewReader, gob.NewEncoder, json.Marshal,
	xml.Marshal, expvar.NewInt, ast.Print, doc.New, format.Source, parser.ParseFile,
	printer.Fprint, token.NewFileSet, types.NewPackage, template.New, gif.Decode, jpeg.Decode,
	png.Decode, big.NewInt, multipart.NewReader, http.ListenAndServe, httputil.DumpRequest,
	mail.ParseAddress, rpc.NewServer, smtp.Dial, regexp.MustCompile, parse.Parse,
}

func main() {
	fmt.Printf("READY %d %d\n", os.Getpid(), len(keep))
	if len(os.Args) > 1 && os.Args[1] == "-wait" {
		time.Sleep(time.Hour)
	}
}
