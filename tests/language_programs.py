"""Small programs in every language of the sandbox, for the tests and ``benchmarks/languages.py``."""

# Per language: a + b (right), a - b (wrong), a compile error, a runtime error, an endless loop,
# a memory hog and endless output.
PROGRAMS = {
    "python": {
        "right": "a, b = map(int, input().split())\nprint(a + b)\n",
        "wrong": "a, b = map(int, input().split())\nprint(a - b)\n",
        "ce": "def f(:\n",
        "re": "raise SystemExit(3)\n",
        "tle": "while True:\n    pass\n",
        "mle": "x = []\nwhile True:\n    x.append(bytearray(1 << 20))\n",
        "ole": "while True:\n    print('x' * 100)\n",
    },
    "cpp": {
        "right": "#include <iostream>\nint main(){long long a,b;std::cin>>a>>b;std::cout<<a+b<<\"\\n\";}\n",
        "wrong": "#include <iostream>\nint main(){long long a,b;std::cin>>a>>b;std::cout<<a-b<<\"\\n\";}\n",
        "ce": "int main( {}\n",
        "re": "#include <cstdlib>\nint main(){ std::abort(); }\n",
        "tle": "int main(){ volatile long x = 0; while (true) x++; }\n",
        "mle": "#include <vector>\nint main(){ std::vector<std::vector<char>> v;"
               " while (true) v.emplace_back(1 << 20, 'x'); }\n",
        "ole": "#include <cstdio>\nint main(){ while (true) puts(\"xxxxxxxxxxxxxxxxxxxxxxxx\"); }\n",
    },
    "java": {
        "right": "import java.util.*;\npublic class Solution { public static void main(String[] a) {"
                 " Scanner s = new Scanner(System.in); long x = s.nextLong(), y = s.nextLong();"
                 " System.out.println(x + y); } }\n",
        "wrong": "import java.util.*;\npublic class Main { public static void main(String[] a) {"
                 " Scanner s = new Scanner(System.in); long x = s.nextLong(), y = s.nextLong();"
                 " System.out.println(x - y); } }\n",
        "ce": "public class Main { public static void main(String[] a) { int x = \"s\"; } }\n",
        "re": "public class Main { public static void main(String[] a) { int[] x = new int[1]; x[2] = 1; } }\n",
        "tle": "public class Main { public static void main(String[] a) { long x = 0; while (true) x++; } }\n",
        "mle": "import java.util.*;\npublic class Main { public static void main(String[] a) {"
               " List<long[]> l = new ArrayList<>(); while (true) l.add(new long[1 << 17]); } }\n",
        "ole": "public class Main { public static void main(String[] a) { while (true)"
               " System.out.println(\"xxxxxxxxxxxxxxxxxxxxxxxx\"); } }\n",
    },
    "nodejs": {
        "right": "const [a, b] = require('fs').readFileSync(0, 'utf8').trim().split(/\\s+/).map(BigInt);\n"
                 "console.log((a + b).toString());\n",
        "wrong": "const [a, b] = require('fs').readFileSync(0, 'utf8').trim().split(/\\s+/).map(BigInt);\n"
                 "console.log((a - b).toString());\n",
        "ce": "function f( {\n",
        "re": "throw new Error('boom');\n",
        "tle": "while (true) {}\n",
        "mle": "const a = []; while (true) a.push(Buffer.alloc(1 << 24, 1));\n",
        "ole": "const line = 'x'.repeat(4096) + '\\n';\nwhile (true) process.stdout.write(line);\n",
    },
    "rust": {
        "right": "use std::io::Read;\nfn main() { let mut s = String::new(); std::io::stdin().read_to_string(&mut s)"
                 ".unwrap(); let v: Vec<i64> = s.split_whitespace().map(|x| x.parse().unwrap()).collect();"
                 " println!(\"{}\", v[0] + v[1]); }\n",
        "wrong": "use std::io::Read;\nfn main() { let mut s = String::new(); std::io::stdin().read_to_string(&mut s)"
                 ".unwrap(); let v: Vec<i64> = s.split_whitespace().map(|x| x.parse().unwrap()).collect();"
                 " println!(\"{}\", v[0] - v[1]); }\n",
        "ce": "fn main() { let x: i32 = \"s\"; }\n",
        "re": "fn main() { let v: Vec<i32> = Vec::new(); println!(\"{}\", v[3]); }\n",
        "tle": "fn main() { let mut x: u64 = 0; loop { x = x.wrapping_add(1); std::hint::black_box(x); } }\n",
        "mle": "fn main() { let mut v: Vec<Vec<u8>> = Vec::new(); loop { v.push(vec![1u8; 1 << 20]); } }\n",
        "ole": "fn main() { loop { println!(\"xxxxxxxxxxxxxxxxxxxxxxxx\"); } }\n",
    },
    "go": {
        "right": "package main\nimport \"fmt\"\nfunc main() { var a, b int64; fmt.Scan(&a, &b); fmt.Println(a + b) }\n",
        "wrong": "package main\nimport \"fmt\"\nfunc main() { var a, b int64; fmt.Scan(&a, &b); fmt.Println(a - b) }\n",
        "ce": "package main\nfunc main() { var x int = \"s\" }\n",
        "re": "package main\nfunc main() { var m map[string]int; m[\"a\"] = 1 }\n",
        "tle": "package main\nfunc main() { x := 0; for { x++ } }\n",
        "mle": "package main\nfunc main() { var v [][]byte; for { b := make([]byte, 1<<20);"
               " for i := range b { b[i] = 1 }; v = append(v, b) } }\n",
        "ole": "package main\nimport \"fmt\"\nfunc main() { for { fmt.Println(\"xxxxxxxxxxxxxxxxxxxxxxxx\") } }\n",
    },
}
