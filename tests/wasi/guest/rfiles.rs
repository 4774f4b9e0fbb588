// Rust std over WASI: args, env, file I/O and directory listing in /sandbox.
use std::fs;
use std::io::{Read, Write};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    println!("rust args: {:?}", args);
    println!("rust GREETING={}", std::env::var("GREETING").unwrap_or_else(|_| "(unset)".into()));
    let mut ok = true;
    fs::create_dir_all("/sandbox/rdir/nested").expect("create_dir_all");
    {
        let mut f = fs::File::create("/sandbox/rdir/a.txt").expect("create");
        f.write_all(b"rust wrote this").expect("write");
    }
    let mut s = String::new();
    fs::File::open("/sandbox/rdir/a.txt").expect("open").read_to_string(&mut s).expect("read");
    if s != "rust wrote this" {
        println!("FAIL read back {:?}", s);
        ok = false;
    }
    fs::write("/sandbox/rdir/b.txt", "second").expect("fs::write");
    let mut names: Vec<String> = fs::read_dir("/sandbox/rdir")
        .expect("read_dir")
        .map(|e| e.expect("entry").file_name().into_string().unwrap())
        .collect();
    names.sort();
    println!("rust listing: {:?}", names);
    if names != ["a.txt", "b.txt", "nested"] {
        ok = false;
    }
    let md = fs::metadata("/sandbox/rdir/b.txt").expect("metadata");
    if md.len() != 6 || !md.is_file() {
        println!("FAIL metadata");
        ok = false;
    }
    fs::rename("/sandbox/rdir/b.txt", "/sandbox/rdir/c.txt").expect("rename");
    fs::remove_file("/sandbox/rdir/a.txt").expect("remove_file");
    fs::remove_dir_all("/sandbox/rdir").expect("remove_dir_all");
    match fs::File::open("/sandbox/../etc/passwd") {
        Ok(_) => {
            println!("FAIL escaped the sandbox");
            ok = false;
        }
        Err(e) => println!("rust escape refused: {}", e.raw_os_error().unwrap_or(-1)),
    }
    println!("{}", if ok { "rust ok" } else { "rust FAILED" });
    std::process::exit(if ok { 0 } else { 1 });
}
